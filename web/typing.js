/*
 * "alice is typing…": our own typing state sent to the server (throttled, stopped when idle),
 * others' typing state received (expiring without a refresh), and the typing line.
 */
import { bdi } from './dom.js';
import { emit } from './request.js';
import { currentRoom, isMember } from './rooms.js';
import { state } from './state.js';
import { ui } from './ui.js';

const TYPING_THROTTLE_MS = 2000; // send `typing: true` at most once per 2 s
const TYPING_IDLE_MS = 3000;     // send `typing: false` 3 s after the last keystroke
const TYPING_EXPIRE_MS = 5000;   // others' typing state expires without a refresh

function emitTyping(roomId, typing) {
  if (roomId === null) return;
  emit('typing', { roomId, typing });
}

/** A keystroke in the composer, whose text is now `text`. */
export function onComposerKeystroke(text) {
  const room = currentRoom();
  if (!room || !isMember(room)) return;
  const t = state.typingOut;
  const now = Date.now();
  if (text.trim() === '') {
    stopTyping();
    return;
  }
  if (!t.active || t.roomId !== room.id || now - t.lastSent >= TYPING_THROTTLE_MS) {
    if (t.active && t.roomId !== room.id) emitTyping(t.roomId, false);
    emitTyping(room.id, true);
    t.active = true;
    t.roomId = room.id;
    t.lastSent = now;
  }
  clearTimeout(t.idleTimer);
  t.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

export function stopTyping() {
  const t = state.typingOut;
  clearTimeout(t.idleTimer);
  t.idleTimer = null;
  if (t.active) emitTyping(t.roomId, false);
  t.active = false;
  t.lastSent = 0;
}

/** Someone else's `typing` event. */
export function setTyping(roomId, user, typing) {
  let map = state.typingIn.get(roomId);
  if (!map) { map = new Map(); state.typingIn.set(roomId, map); }
  const old = map.get(user.id);
  if (old) clearTimeout(old.timer);
  if (typing) {
    const timer = setTimeout(() => clearTyping(roomId, user.id), TYPING_EXPIRE_MS);
    map.set(user.id, { name: user.name, timer });
  } else {
    map.delete(user.id);
  }
  if (roomId === state.currentRoomId) renderTyping();
}

/** The user stopped typing (their message arrived, or their state expired). */
export function clearTyping(roomId, userId) {
  const map = state.typingIn.get(roomId);
  if (!map || !map.has(userId)) return;
  clearTimeout(map.get(userId).timer);
  map.delete(userId);
  if (roomId === state.currentRoomId) renderTyping();
}

export function clearAllTyping() {
  for (const map of state.typingIn.values()) for (const t of map.values()) clearTimeout(t.timer);
  state.typingIn.clear();
  renderTyping();
}

export function renderTyping() {
  const room = currentRoom();
  const map = room ? state.typingIn.get(room.id) : null;
  const names = map ? Array.from(map.values()).map((t) => t.name) : [];
  let parts = [];
  if (names.length === 1) parts = [bdi(names[0]), ' is typing…'];
  else if (names.length === 2) parts = [bdi(names[0]), ' and ', bdi(names[1]), ' are typing…'];
  else if (names.length === 3) parts = [bdi(names[0]), ', ', bdi(names[1]), ' and ', bdi(names[2]), ' are typing…'];
  else if (names.length > 3) parts = ['Several people are typing…'];
  const text = parts.map((p) => (typeof p === 'string' ? p : p.textContent)).join('');
  if (ui.typingLine.textContent !== text) ui.typingLine.replaceChildren(...parts);
}
