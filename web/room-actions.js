/*
 * What the user does with rooms: open one (joining and loading its latest page when needed),
 * load older messages, join or create a public room, open a direct conversation, leave.
 */
import { mergeChanged } from './changes.js';
import { updateComposerState } from './composer.js';
import { closeDrawers, isNarrow } from './drawers.js';
import { RequestError } from './errors.js';
import { isolated } from './format.js';
import { toPositive } from './message-fields.js';
import { flashNotice } from './notices.js';
import { renderAll } from './render.js';
import { renderMessages, setListBusy } from './render-messages.js';
import { renderRooms } from './render-rooms.js';
import { connected, request } from './request.js';
import { forgetVisible } from './read-marks.js';
import { currentRoom, ingest, pickDefaultRoom, upsertRoom } from './rooms.js';
import { state } from './state.js';
import { storeSet } from './store.js';
import {
  PAGE, clearUnread, forgetMessages, hasOlderAfterHistory, hasOlderAfterJoin, oldestSeq,
} from './timeline.js';
import { stopTyping } from './typing.js';
import { ui } from './ui.js';
import { mergeUser } from './users.js';

/** Where "New messages" goes in a room being opened: after its read position, if anything is unread. */
function dividerFor(room) {
  return room.readSeq < room.timeline.lastSeq ? room.readSeq : null;
}

/** Makes room `id` the open one: shown at once from memory, fetched when not loaded or stale. */
export async function openRoom(id, { fromUser = false } = {}) {
  const room = state.rooms.get(id);
  if (!room) return;
  if (state.currentRoomId !== id) {
    stopTyping();
    state.currentRoomId = id;
    state.nodeCache.clear();
    setListBusy(true);
    ui.messageList.replaceChildren();
    storeSet(`room:${state.me ? state.me.id : 0}`, id);
    forgetVisible();
    // "New messages" stays where the room was read up to when it was opened (none when all was).
    room.dividerAfter = dividerFor(room);
    renderAll('bottom');
    // Reset the composer's height/counter for the new room (the text itself is kept).
    updateComposerState();
  }
  if (fromUser) {
    closeDrawers();
    if (isNarrow()) ui.composerInput.focus();
  }
  // Loaded rooms stay current through live events and presence; after a reconnect they are
  // marked stale and fetched again when opened.
  if (!room.loaded || room.stale) await enterRoom(room);
  else setListBusy(false);
  // Joining moves the room's button to another list, which drops its focus: keep typing flow.
  if (fromUser && state.currentRoomId === id && (document.activeElement === document.body || !document.activeElement)) {
    ui.composerInput.focus();
  }
}

async function joinRequest(room) {
  if (room.kind === 'direct' && room.peer) {
    try {
      return await request('dm:open', { userName: room.peer.name });
    } catch (e) {
      if (e.code === 'offline' || e.code === 'timeout') throw e;
    }
  }
  return request('room:join', { roomId: room.id });
}

/** Joins (if needed) and loads the latest page and the online list of a room. */
export async function enterRoom(room) {
  if (!connected() || room.loading) return;
  room.loading = true;
  const gen = state.connGen;
  try {
    const res = await joinRequest(room);
    if (gen !== state.connGen) return;
    applyJoin(res);
  } catch (e) {
    if (gen === state.connGen && room.id === state.currentRoomId) {
      flashNotice(`Could not open this room: ${e.text}`);
    }
  } finally {
    room.loading = false;
    if (room.id === state.currentRoomId) setListBusy(false);
  }
}

/** Applies a room:join / dm:open ack: `{room, messages, online}`. Returns the room. */
function applyJoin(res) {
  const room = upsertRoom(res.room);
  if (!room) return null;
  if (room.kind === 'public') room.joined = true;
  room.loading = true; // so ingest keeps the messages even if this is the first load
  const msgs = Array.isArray(res.messages) ? res.messages : [];
  const firstLoad = !room.loaded;
  ingest(room, msgs);
  // The room's lastChange is our change number from here; `changed`: what changed meanwhile.
  const lastChange = toPositive(res.room.lastChange) ?? 0;
  if (lastChange > room.timeline.lastChange) room.timeline.lastChange = lastChange;
  mergeChanged(room.timeline, res.changed, { roomId: room.id });
  room.loading = false;
  room.loaded = true;
  room.stale = false;
  if (firstLoad) room.hasOlder = hasOlderAfterJoin(room.timeline, msgs.length);
  if (Array.isArray(res.online)) {
    room.online = res.online.map(mergeUser).filter(Boolean);
  }
  if (room.id === state.currentRoomId) {
    if (firstLoad) room.dividerAfter = dividerFor(room);
    renderAll(firstLoad ? 'bottom' : 'follow');
  } else {
    renderRooms();
  }
  return room;
}

export async function loadOlder() {
  const room = currentRoom();
  if (!room || room.loadingOlder || !room.timeline.messages.length) return;
  const beforeSeq = oldestSeq(room.timeline);
  room.loadingOlder = true;
  setListBusy(true);
  renderMessages('keep');
  const gen = state.connGen;
  try {
    const res = await request('history', { roomId: room.id, beforeSeq, limit: PAGE });
    const msgs = Array.isArray(res.messages) ? res.messages : [];
    const { added } = ingest(room, msgs);
    if (!hasOlderAfterHistory(room.timeline, { received: msgs.length, added: added.length, beforeSeq })) room.hasOlder = false;
  } catch (e) {
    if (gen === state.connGen) flashNotice(`Could not load older messages: ${e.text}`);
  } finally {
    room.loadingOlder = false;
    if (room.id === state.currentRoomId) renderMessages('keep');
    setListBusy(false);
    // Keep keyboard users in place: focus stays on the button, or moves to the list.
    if (ui.loadOlderButton.hidden && document.activeElement === document.body) ui.messageList.focus();
  }
}

/** Joins the public room called `name` (the server creates it if needed) and opens it. */
export async function createOrJoinRoom(name) {
  const res = await request('room:join', { name });
  const room = applyJoin(res);
  if (room) await openRoom(room.id, { fromUser: true });
}

export async function openDm(userName) {
  const res = await request('dm:open', { userName });
  const room = applyJoin(res);
  if (room) await openRoom(room.id, { fromUser: true });
}

export function dmErrorText(e, userName) {
  if (!(e instanceof RequestError)) return String(e);
  return e.code === 'not_found' ? `There is no user called “${isolated(userName)}”.` : e.text;
}

export async function leaveCurrentRoom() {
  const room = currentRoom();
  if (!room || room.kind !== 'public' || !room.joined) return;
  try {
    await request('room:leave', { roomId: room.id });
  } catch (e) {
    flashNotice(`Could not leave the room: ${e.text}`);
    return;
  }
  room.joined = false;
  room.loaded = false;
  forgetMessages(room.timeline);
  room.online = [];
  clearUnread(room.timeline);
  state.typingIn.delete(room.id);
  const next = pickDefaultRoom(room.id);
  state.currentRoomId = null;
  state.nodeCache.clear();
  if (next) openRoom(next.id);
  else renderAll('bottom');
  (isNarrow() ? ui.roomsToggle : ui.createRoomInput).focus();
}
