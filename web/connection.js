/*
 * The Socket.IO connection: connect (the global `io` from the classic script
 * /socket.io.min.js), the banner while disconnected, reconnecting where socket.io-client does
 * not by itself, and `ready`: rooms brought up to date, the open room re-joined, missed
 * messages synced (sync.js), queued messages resent (outbox.js).
 */
import { api } from './api.js';
import { setBanner } from './notices.js';
import { flushPending, requeueAll } from './outbox.js';
import { renderAll } from './render.js';
import { renderMessages } from './render-messages.js';
import { enterRoom, openRoom } from './room-actions.js';
import { currentRoom, isMember, pickDefaultRoom, upsertRoom } from './rooms.js';
import { reportSessionLost } from './session-lost.js';
import { state } from './state.js';
import { storeGet } from './store.js';
import { forgetMessages } from './timeline.js';
import { onPresence, onRoomAdded, onRoomRead, onTyping, onUserUpdated } from './live-events.js';
import { onLiveMessage, onMessageChanged, onResync, refreshRoomsSoon, syncAfterReconnect } from './sync.js';
import { clearAllTyping } from './typing.js';
import { setMe } from './users.js';
import { isObj, toId, validRoom, validUser } from './values.js';

// Events of the current socket only: a replaced socket's late events are ignored.
const SERVER_EVENTS = {
  ready: (payload) => onReady(payload),
  message: onLiveMessage,
  'message:changed': onMessageChanged,
  presence: onPresence,
  typing: onTyping,
  'user:updated': onUserUpdated,
  'room:added': onRoomAdded,
  'room:read': onRoomRead,
  resync: () => onResync(),
};

export function connectSocket() {
  if (typeof window.io !== 'function') {
    setBanner('The chat client could not be loaded (/socket.io.min.js). Reload the page to try again.');
    return;
  }
  const socket = window.io({ withCredentials: true });
  state.socket = socket;
  state.connectTimer = setTimeout(() => { if (!socket.connected) setBanner('Connecting…'); }, 1500);

  socket.on('connect', () => {
    clearTimeout(state.connectTimer);
    setBanner(null);
  });
  socket.on('disconnect', (reason) => { if (state.socket === socket) onDisconnect(socket, reason); });
  socket.on('connect_error', (err) => { if (state.socket === socket) onConnectError(socket, err); });
  for (const [event, handler] of Object.entries(SERVER_EVENTS)) {
    socket.on(event, (payload) => { if (state.socket === socket) handler(payload); });
  }
}

function onDisconnect(socket, reason) {
  state.everReady = false;
  setBanner('Reconnecting…');
  // Acks of in-flight sends are lost with the connection: they go again on the next ready.
  requeueAll();
  state.typingOut.active = false;
  clearAllTyping();
  renderMessages('follow');
  if (reason === 'io server disconnect') {
    // The server closed us on purpose (session deleted?): socket.io will not retry by itself.
    checkSessionThenReconnect(socket);
  }
}

function onConnectError(socket, err) {
  clearTimeout(state.connectTimer);
  const msg = err && typeof err.message === 'string' ? err.message : '';
  if (msg === 'unauthorized' || (err && err.data && err.data.error === 'unauthorized')) {
    checkSessionThenReconnect(socket);
    return;
  }
  setBanner('Reconnecting…');
  if (!socket.active) {
    // Refused by the server (not a network error): socket.io does not retry those itself.
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => { if (state.socket === socket && !socket.connected) socket.connect(); }, 3000 + Math.random() * 2000);
  }
}

async function checkSessionThenReconnect(socket) {
  setBanner('Reconnecting…');
  let r = null;
  try { r = await api('GET', '/api/me'); } catch (_) { r = null; }
  if (state.socket !== socket) return;
  if (r && r.status === 401) {
    reportSessionLost();
    return;
  }
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(() => {
    if (state.socket === socket && !socket.connected) socket.connect();
  }, r ? 2000 : 3000);
}

/**
 * Applies `ready`'s room list. Existing rooms keep their own lastSeq until sync has told us
 * what we missed. Returns the server's lastSeq per room.
 */
function applyReadyRooms(payload, first, seen) {
  const infos = Array.isArray(payload.rooms) ? payload.rooms.filter(validRoom) : [];
  const serverLast = new Map();
  for (const info of infos) {
    const id = toId(info.id);
    serverLast.set(id, typeof info.lastSeq === 'number' ? info.lastSeq : 0);
    upsertRoom(info, { initial: first, keepLastSeq: seen.has(id) });
  }
  // Rooms of ours that went away (left in another tab): forget them unless messages wait.
  // Public rooms we are not in are kept: `ready` may list only the user's own rooms.
  for (const [id, room] of Array.from(state.rooms)) {
    if (!serverLast.has(id) && isMember(room) && room.pending.length === 0) {
      if (room.kind === 'public') { room.joined = false; room.loaded = false; forgetMessages(room.timeline); }
      else state.rooms.delete(id);
    }
  }
  return serverLast;
}

/** First `ready` after sign-in or page load: open the last open room, or a default one. */
function openFirstRoom() {
  const storedId = toId(storeGet(`room:${state.me ? state.me.id : 0}`, null));
  const stored = storedId !== null ? state.rooms.get(storedId) : null;
  const target = stored && isMember(stored) ? stored : pickDefaultRoom(null);
  renderAll('bottom');
  if (target) openRoom(target.id);
}

/** A `ready` after a reconnect: everything is stale, missed messages are synced, the open room re-joined. */
function resumeAfterReconnect(seen, serverLast) {
  if (state.currentRoomId !== null && !state.rooms.has(state.currentRoomId)) {
    state.currentRoomId = null;
    state.nodeCache.clear();
  }
  for (const room of state.rooms.values()) room.stale = true;
  renderAll('follow');
  syncAfterReconnect(seen, serverLast);
  const room = currentRoom();
  if (room) enterRoom(room);
}

function onReady(payload) {
  if (!isObj(payload)) return;
  const first = !state.everConnectedOnce;
  state.everConnectedOnce = true;
  state.everReady = true;
  state.connGen++;
  setBanner(null);
  if (validUser(payload.user)) setMe(payload.user);
  if (isObj(payload.limits) && Number.isSafeInteger(payload.limits.editWindowMs) && payload.limits.editWindowMs >= 0)
    state.limits = { editWindowMs: payload.limits.editWindowMs };

  const seen = new Map();
  for (const [id, room] of state.rooms) seen.set(id, room.timeline.lastSeq);
  const serverLast = applyReadyRooms(payload, first, seen);
  // GET /api/rooms also lists the public rooms the user has not joined.
  refreshRoomsSoon();

  if (first) openFirstRoom();
  else resumeAfterReconnect(seen, serverLast);
  flushPending();
}
