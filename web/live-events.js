/* Server events about people and rooms: presence, typing, user:updated, room:added, room:read. */
import { paintOwnAvatar, repaintAvatarsOf } from './avatars.js';
import { renderMessages } from './render-messages.js';
import { renderOnline } from './render-online.js';
import { renderRooms } from './render-rooms.js';
import { applyServerRead, upsertRoom } from './rooms.js';
import { state } from './state.js';
import { setTyping } from './typing.js';
import { isMe, mergeUser } from './users.js';
import { isObj, toId, validRoom, validUser } from './values.js';

export function onPresence(p) {
  if (!isObj(p)) return;
  const roomId = toId(p.roomId);
  if (roomId === null || !Array.isArray(p.online)) return;
  const online = p.online.map(mergeUser).filter(Boolean);
  const room = state.rooms.get(roomId);
  if (!room) {
    state.earlyPresence.set(roomId, online);
    return;
  }
  room.online = online;
  if (room.id === state.currentRoomId) renderOnline();
  // A direct conversation's button shows whether its other person is online.
  if (room.kind === 'direct') renderRooms();
}

export function onTyping(t) {
  if (!isObj(t) || !validUser(t.user)) return;
  const roomId = toId(t.roomId);
  const user = { id: toId(t.user.id), name: t.user.name };
  if (roomId === null || isMe(user.id)) return;
  setTyping(roomId, user, t.typing === true);
}

export function onUserUpdated(u) {
  const user = mergeUser(u);
  if (!user) return;
  if (isMe(user.id)) paintOwnAvatar();
  repaintAvatarsOf(user.id);
  // Names in lists may also have changed.
  renderRooms();
  renderOnline();
}

export function onRoomAdded(info) {
  if (!validRoom(info)) return;
  upsertRoom(info);
  renderRooms();
}

/**
 * `room:read {roomId, readSeq, mentionCount?}`: the user read on another connection. Counts
 * follow, and so does the open room's "New messages" divider (what was read elsewhere is not new).
 */
export function onRoomRead(ev) {
  if (!isObj(ev)) return;
  const room = state.rooms.get(toId(ev.roomId));
  if (!room || typeof ev.readSeq !== 'number') return;
  applyServerRead(room, ev.readSeq, ev.mentionCount);
  if (room.id === state.currentRoomId && typeof room.dividerAfter === 'number' && ev.readSeq > room.dividerAfter) {
    room.dividerAfter = ev.readSeq;
    renderMessages('keep');
  }
  renderRooms();
}
