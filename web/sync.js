/*
 * Keeping rooms complete: live messages merged by seq, a jump in seqs filled with `sync`,
 * everything missed caught up with `sync` after a reconnect or a `resync`, the room list
 * refreshed from GET /api/rooms. The bookkeeping itself is timeline.js's.
 */
import { api } from './api.js';
import { renderMessages } from './render-messages.js';
import { renderRooms } from './render-rooms.js';
import { connected, request } from './request.js';
import { currentRoom, ingest, isMember, upsertRoom } from './rooms.js';
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

/** Asks `sync` in rounds until `want` is covered. Returns false when a newer connection took over. */
async function syncRounds(want, gen) {
  let timeouts = 0;
  for (let round = 0; round < SYNC_ROUNDS && Object.keys(want).length; round++) {
    let res;
    try {
      res = await request('sync', { rooms: want });
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
  const { accepted } = ingest(room, [raw]);
  for (const a of accepted) if (a.author.id !== null) clearTyping(room.id, a.author.id);
  const from = gapSyncFrom(newest, m.seq);
  if (from !== null) fillGapSoon(room.id, from);
  if (room.id === state.currentRoomId) renderMessages(isMe(m.author.id) ? 'bottom' : 'follow');
  renderRooms();
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
    try {
      const res = await request('sync', { rooms: { [roomId]: afterSeq } });
      const list = syncMessagesOf(res, roomId);
      if (list.length) ingest(room, list);
      renderRooms();
      if (room.id === state.currentRoomId) renderMessages('follow');
    } catch (e) {
      // The next reconnect or `resync` catches up.
    }
  }, 300));
}
