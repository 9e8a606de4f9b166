/* What we know of users (state.users), merged from every source, and who "me" is. */
import { paintOwnAvatar, repaintAvatarsOf } from './avatars.js';
import { state } from './state.js';
import { ui } from './ui.js';
import { toId, validUser } from './values.js';

export function isMe(userId) { return !!state.me && userId === state.me.id; }

/** Merges what we learn about a user; `{id, name}` (message authors) never erases an avatar. */
export function mergeUser(u) {
  if (!validUser(u)) return null;
  const id = toId(u.id);
  let known = state.users.get(id);
  if (!known) {
    known = { id, name: u.name, avatar: null, avatarSmall: null };
    state.users.set(id, known);
  }
  const before = `${known.name}|${known.avatar}|${known.avatarSmall}`;
  known.name = u.name;
  if ('avatar' in u) known.avatar = typeof u.avatar === 'string' ? u.avatar : null;
  if ('avatarSmall' in u) known.avatarSmall = typeof u.avatarSmall === 'string' ? u.avatarSmall : null;
  if (`${known.name}|${known.avatar}|${known.avatarSmall}` !== before) scheduleRepaint(id);
  return known;
}

// Avatars already on screen follow any change we learn of (user:updated, presence, joins),
// once per user and task however many times the user was merged.
const repaintIds = new Set();
function scheduleRepaint(id) {
  if (repaintIds.size === 0) {
    queueMicrotask(() => {
      const ids = Array.from(repaintIds);
      repaintIds.clear();
      for (const uid of ids) {
        repaintAvatarsOf(uid);
        if (isMe(uid)) paintOwnAvatar();
      }
    });
  }
  repaintIds.add(id);
}

export function userById(id, fallbackName) {
  return state.users.get(id) || { id, name: fallbackName || '?', avatar: null, avatarSmall: null };
}

export function setMe(user) {
  const merged = mergeUser(user);
  if (!merged) return;
  state.me = merged;
  ui.meName.textContent = merged.name;
  paintOwnAvatar();
}
