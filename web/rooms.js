/*
 * The rooms the client knows (state.rooms): created and updated from server Rooms, messages
 * merged into their timelines (timeline.js), read marks kept per user in localStorage.
 * No rendering here; callers render after changing rooms.
 */
import { state } from './state.js';
import { storeSet } from './store.js';
import {
  advanceLastSeq, createTimeline, markRead, mergeMessages, unreadCount,
} from './timeline.js';
import { mergeUser } from './users.js';
import { toId, validRoom, validUser } from './values.js';

export function roomDisplayName(room) {
  if (room.kind === 'direct') {
    if (room.peer) return room.peer.name;
    return room.name || 'Direct message';
  }
  return room.name || `room ${room.id}`;
}

export function isMember(room) { return room.kind === 'direct' || room.joined; }

export function currentRoom() {
  return state.currentRoomId === null ? null : state.rooms.get(state.currentRoomId) || null;
}

function newRoom(id, info, peer, { initial }) {
  const kind = info.kind === 'direct' ? 'direct' : 'public';
  const joined = kind === 'direct' ? true : info.joined !== false;
  const serverLastSeq = typeof info.lastSeq === 'number' ? info.lastSeq : 0;
  return {
    id,
    kind,
    name: typeof info.name === 'string' ? info.name : '',
    peer,
    joined,
    // Rooms whose read position we never stored start as read on the first `ready`.
    timeline: createTimeline({ lastSeq: serverLastSeq, readMark: state.readMarks[id], assumeRead: initial, countUnread: joined }),
    pending: [],
    loaded: false,
    loading: false,
    stale: false,
    hasOlder: false,
    loadingOlder: false,
    online: [],
  };
}

function updateRoom(room, info, peer, { keepLastSeq }) {
  room.kind = info.kind === 'direct' ? 'direct' : 'public';
  if (typeof info.name === 'string') room.name = info.name;
  if (peer) room.peer = peer;
  if (room.kind === 'direct') room.joined = true;
  else if (typeof info.joined === 'boolean') room.joined = info.joined;
  if (!keepLastSeq) {
    // Messages we never saw individually (e.g. room not synced) count as unread.
    const serverLastSeq = typeof info.lastSeq === 'number' ? info.lastSeq : 0;
    advanceLastSeq(room.timeline, serverLastSeq, { countUnread: isMember(room) && room.id !== state.currentRoomId });
  }
}

/**
 * Creates or updates a room from a server Room. `initial` is true only for the first `ready`
 * after sign-in/page load. `keepLastSeq`: the room keeps its own lastSeq (until sync has told
 * us what we missed).
 */
export function upsertRoom(info, { initial = false, keepLastSeq = false } = {}) {
  if (!validRoom(info)) return null;
  const id = toId(info.id);
  const peer = validUser(info.peer) ? mergeUser(info.peer) : null;
  let room = state.rooms.get(id);
  if (room) {
    updateRoom(room, info, peer, { keepLastSeq });
    return room;
  }
  room = newRoom(id, info, peer, { initial });
  // The server may announce presence before `ready` lists the room.
  if (state.earlyPresence.has(id)) {
    room.online = state.earlyPresence.get(id);
    state.earlyPresence.delete(id);
  }
  state.rooms.set(id, room);
  return room;
}

export function unreadOf(room) {
  return unreadCount(room.timeline, { open: room.id === state.currentRoomId, member: isMember(room) });
}

/** The room is on screen: everything in it is read; the read mark is saved soon after. */
export function markRoomRead(room) {
  const mark = markRead(room.timeline);
  if (mark === null) return;
  state.readMarks[room.id] = mark;
  scheduleReadSave();
}

function scheduleReadSave() {
  if (state.readSaveTimer || !state.me) return;
  state.readSaveTimer = setTimeout(() => {
    state.readSaveTimer = null;
    if (state.me) storeSet(`read:${state.me.id}`, state.readMarks);
  }, 500);
}

/** Saves read marks still waiting for their timer (page hidden, sign-out). */
export function flushReadMarks() {
  if (state.me && state.readSaveTimer) storeSet(`read:${state.me.id}`, state.readMarks);
}

/**
 * Takes messages of one room from any source (ack, live event, sync, history) and merges them.
 * Authors are learnt, pending local copies are dropped by clientId. Returns timeline.js's
 * `{ accepted, added }`.
 */
export function ingest(room, rawMessages) {
  const result = mergeMessages(room.timeline, rawMessages, {
    roomId: room.id,
    keep: room.loaded || room.loading,
    open: room.id === state.currentRoomId,
    myId: state.me ? state.me.id : null,
  });
  for (const m of result.accepted) {
    if (m.author.id !== null) mergeUser(m.author);
    if (m.clientId && room.pending.length) {
      const i = room.pending.findIndex((p) => p.clientId === m.clientId);
      if (i >= 0) room.pending.splice(i, 1);
    }
  }
  if (room.id === state.currentRoomId) markRoomRead(room);
  return result;
}

/** The room to open when none is chosen: #general, else the first public room by name, else any. */
export function pickDefaultRoom(excludeId) {
  const members = Array.from(state.rooms.values()).filter((r) => isMember(r) && r.id !== excludeId);
  if (!members.length) return null;
  const general = members.find((r) => r.kind === 'public' && r.name === 'general');
  if (general) return general;
  const pub = members.filter((r) => r.kind === 'public').sort((a, b) => a.name.localeCompare(b.name));
  return pub[0] || members[0];
}
