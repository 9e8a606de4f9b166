/*
 * The rooms the client knows (state.rooms): created and updated from server Rooms, messages
 * merged into their timelines (timeline.js), the server's read position and mention count per
 * room (unread.js counts from them; read-marks.js moves the position). No rendering here;
 * callers render after changing rooms.
 */
import { toPositive } from './message-fields.js';
import { state } from './state.js';
import { advanceLastSeq, createTimeline, mergeMessages } from './timeline.js';
import { mentionBadge, mentionsMe, pruneSeqs, unreadAfter } from './unread.js';
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
    // Counts come from the server's readSeq (unreadOf), not from the timeline's own marks.
    timeline: createTimeline({ lastSeq: serverLastSeq, assumeRead: true, countUnread: false, lastChange: toPositive(info.lastChange) ?? 0 }),
    // Read up to here on any device; a room without one (not joined) counts nothing.
    readSeq: typeof info.readSeq === 'number' ? info.readSeq : serverLastSeq,
    ownSeqs: new Set(),      // own messages after readSeq (not unread)
    mentionCount: typeof info.mentionCount === 'number' ? info.mentionCount : 0,
    mentionSeqs: new Set(),  // live mentions since the server last counted
    dividerAfter: null,      // "New messages" goes after this seq while the room is open
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
    advanceLastSeq(room.timeline, serverLastSeq, { countUnread: false });
  }
  applyServerRead(room, info.readSeq, info.mentionCount);
}

/**
 * The server's read position (never moves back) and, when given, its count of unread mentions
 * (it replaces the live ones counted since: the server counted them too).
 */
export function applyServerRead(room, readSeq, mentionCount) {
  if (typeof readSeq === 'number' && readSeq > room.readSeq) {
    room.readSeq = readSeq;
    pruneSeqs(room.ownSeqs, readSeq);
    pruneSeqs(room.mentionSeqs, readSeq);
  }
  if (typeof mentionCount === 'number' && mentionCount >= 0) {
    room.mentionCount = mentionCount;
    room.mentionSeqs.clear();
  } else if (room.readSeq >= room.timeline.lastSeq) {
    // A server without mention counts: everything is read, so are its mentions.
    room.mentionCount = 0;
  }
}

/** A live message mentioning the user, not yet read: the badge counts it until the server does. */
export function noteMention(room, m) {
  if (m.seq > room.readSeq && mentionsMe(m, state.me ? state.me.id : null)) room.mentionSeqs.add(m.seq);
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

/** Messages of others after the server's read position (the open room too: unseen is unread). */
export function unreadOf(room) {
  if (!isMember(room)) return 0;
  return unreadAfter({ lastSeq: room.timeline.lastSeq, readSeq: room.readSeq, ownSeqs: room.ownSeqs });
}

/** Unread messages that mention the user. */
export function mentionsOf(room) {
  if (!isMember(room)) return 0;
  return mentionBadge({ mentionCount: room.mentionCount, mentionSeqs: room.mentionSeqs, readSeq: room.readSeq });
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
    if (state.me && m.author.id === state.me.id && m.seq > room.readSeq) room.ownSeqs.add(m.seq);
    if (m.clientId && room.pending.length) {
      const i = room.pending.findIndex((p) => p.clientId === m.clientId);
      if (i >= 0) room.pending.splice(i, 1);
    }
  }
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
