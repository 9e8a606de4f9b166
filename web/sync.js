/*
 * Keeping rooms complete: live messages merged by seq, a jump in seqs filled with `sync`,
 * live changes (edits, deletes, reactions: `message:changed`) applied in change order with a
 * jump filled the same way, everything missed caught up with `sync {seq, change}` after a
 * reconnect or a `resync`, the room list refreshed from GET /api/rooms. The bookkeeping itself
 * is timeline.js's and changes.js's.
 */
import { api } from './api.js';
import { applyChanged, mergeChanged, syncChangedOf, syncPosition } from './changes.js';
import { canSeeNow } from './read-marks.js';
import { renderMessages } from './render-messages.js';
import { renderRooms } from './render-rooms.js';
import { connected, request } from './request.js';
import { currentRoom, ingest, isMember, noteMention, upsertRoom } from './rooms.js';
import { reportSessionLost } from './session-lost.js';
import { state } from './state.js';
import {
  advanceLastSeq, firstMissingSeq, gapSyncFrom, initialSyncWant, newestSeq, nextSyncWant,
  normaliseMessage, syncMessagesOf, syncPages,
} from './timeline.js';
import { clearTyping } from './typing.js';
import { isMe } from './users.js';

const SYNC_ROUNDS = 20;       // a catch-up asks at most this many pages
const SYNC_TIMEOUTS = 3;      // timeouts retried (2 s apart) before the catch-up gives up

/** GET /api/rooms also lists the public rooms the user has not joined; debounced. */
export function refreshRoomsSoon() {
  if (state.roomsRefreshTimer) return;
  state.roomsRefreshTimer = setTimeout(async () => {
    state.roomsRefreshTimer = null;
    try {
      const r = await api('GET', '/api/rooms');
      if (r.status === 401) { reportSessionLost(); return; }
      if (r.ok && r.data && Array.isArray(r.data.rooms)) {
        for (const info of r.data.rooms) upsertRoom(info);
        renderRooms();
      }
    } catch (_) { /* the next ready will bring the list */ }
  }, 300);
}

/** A sync request's rooms: after each seq of `want`, and the changes after each room's number. */
function positions(want) {
  const rooms = {};
  for (const [key, seq] of Object.entries(want)) {
    const room = state.rooms.get(Number(key));
    rooms[key] = room ? syncPosition(room.timeline, seq) : seq;
  }
  return rooms;
}

/** A sync answer's `changed` lists, applied (each moves its room's change number). */
function applySyncChanged(res) {
  if (!res || typeof res.changed !== 'object' || res.changed === null) return;
  for (const key of Object.keys(res.changed)) {
    const room = state.rooms.get(Number(key));
    if (room) mergeChanged(room.timeline, syncChangedOf(res, key), { roomId: room.id });
  }
}

/** Asks `sync` in rounds until `want` is covered. Returns false when a newer connection took over. */
async function syncRounds(want, gen) {
  let timeouts = 0;
  for (let round = 0; round < SYNC_ROUNDS && Object.keys(want).length; round++) {
    let res;
    try {
      res = await request('sync', { rooms: positions(want) });
    } catch (e) {
      if (gen !== state.connGen || !connected()) return false;
      if (e.code === 'timeout' && ++timeouts <= SYNC_TIMEOUTS) {
        round--;
        await new Promise((r) => setTimeout(r, 2000));
        if (gen !== state.connGen || !connected()) return false;
        continue;
      }
      break;
    }
    if (gen !== state.connGen) return false;
    for (const page of syncPages(res)) {
      const room = state.rooms.get(page.roomId);
      if (room) ingest(room, page.messages);
    }
    applySyncChanged(res);
    want = nextSyncWant(want, res, (id) => state.rooms.has(id));
  }
  return gen === state.connGen;
}

/**
 * Asks for everything after the last seq seen per room (`seen`: roomId -> lastSeq before the
 * reconnect). `serverLast`: the server's lastSeq per room from `ready`; what sync could not
 * cover (it failed or a room was capped) is still counted as unread.
 */
export async function syncAfterReconnect(seen, serverLast) {
  const gen = state.connGen;
  const entries = [];
  for (const [id, lastSeq] of seen) {
    const room = state.rooms.get(id);
    if (room && isMember(room)) entries.push({ roomId: id, timeline: room.timeline, loaded: room.loaded, seenLastSeq: lastSeq });
  }
  if (!(await syncRounds(initialSyncWant(entries), gen))) return;
  for (const [id, last] of serverLast) {
    const room = state.rooms.get(id);
    if (!room) continue;
    advanceLastSeq(room.timeline, last, { countUnread: room.id !== state.currentRoomId && isMember(room) });
  }
  renderRooms();
  if (currentRoom()) renderMessages('follow');
}

/** The server says messages may have been missed (its broker connection came back). */
export function onResync() {
  const seen = new Map();
  for (const [id, room] of state.rooms) seen.set(id, room.timeline.lastSeq);
  syncAfterReconnect(seen, new Map());
}

export function onLiveMessage(raw) {
  const m = normaliseMessage(raw);
  if (!m) return;
  const room = state.rooms.get(m.roomId);
  if (!room) {
    refreshRoomsSoon();
    return;
  }
  // With several replicas a message can overtake another, or be missed during a broker
  // outage: a seq jump in a loaded room means something is missing; fetch it by seq.
  const newest = room.loaded ? newestSeq(room.timeline) : null;
  const { accepted, added } = ingest(room, [raw]);
  for (const a of accepted) if (a.author.id !== null) clearTyping(room.id, a.author.id);
  // A mention counts until read, unless the user is reading this room right now.
  for (const a of added) if (!(room.id === state.currentRoomId && canSeeNow())) noteMention(room, a);
  for (const fn of newMessageListeners) for (const a of added) fn(room, a);
  const from = gapSyncFrom(newest, m.seq);
  if (from !== null) fillGapSoon(room.id, from);
  if (room.id === state.currentRoomId) renderMessages(isMe(m.author.id) ? 'bottom' : 'follow');
  renderRooms();
}

const newMessageListeners = [];
/** `fn(room, message)` for every new live message (notifications.js). */
export function onNewMessage(fn) { newMessageListeners.push(fn); }

/**
 * `message:changed {roomId, change, message}`: an edit, delete or reaction. Applied in change
 * order (changes.js); skipped numbers are fetched with `sync` from the room's change number.
 */
export function onMessageChanged(ev) {
  const room = ev && state.rooms.get(Number(ev.roomId));
  if (!room) return;
  applyChange(room, ev);
}

/** Applies one change (an event, or an action's ack as its own change) and renders. */
export function applyChange(room, ev) {
  const { updated, syncFrom } = applyChanged(room.timeline, ev, { roomId: room.id });
  if (syncFrom !== null && room.loaded) fillChangesSoon(room.id);
  if (updated && room.id === state.currentRoomId) renderMessages('follow');
}

/** One room's `sync` from `seq` (and its change number): what it brings is merged and shown. */
async function syncRoomFrom(room, seq) {
  try {
    const res = await request('sync', { rooms: { [room.id]: syncPosition(room.timeline, seq) } });
    const list = syncMessagesOf(res, room.id);
    if (list.length) ingest(room, list);
    applySyncChanged(res);
    renderRooms();
    if (room.id === state.currentRoomId) renderMessages('follow');
  } catch (e) {
    // The next reconnect or `resync` catches up.
  }
}

const changeTimers = new Map(); // roomId -> timer: one change catch-up at a time per room

function fillChangesSoon(roomId) {
  if (changeTimers.has(roomId)) return;
  // A short wait lets a late event arrive by itself first.
  changeTimers.set(roomId, setTimeout(async () => {
    changeTimers.delete(roomId);
    const room = state.rooms.get(roomId);
    if (!room || !connected()) return;
    await syncRoomFrom(room, newestSeq(room.timeline) ?? room.timeline.lastSeq);
  }, 300));
}

const gapTimers = new Map(); // roomId -> timer: one gap fill at a time per room

function fillGapSoon(roomId, afterSeq) {
  if (gapTimers.has(roomId)) return;
  // A short wait lets an overtaken message arrive by itself first.
  gapTimers.set(roomId, setTimeout(async () => {
    gapTimers.delete(roomId);
    const room = state.rooms.get(roomId);
    if (!room || !connected()) return;
    if (firstMissingSeq(room.timeline, afterSeq) === null) return;
    await syncRoomFrom(room, afterSeq);
  }, 300));
}
