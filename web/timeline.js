/*
 * timeline.js — the messages of one room, merged by seq. PURE: no DOM, no socket, no window or
 * localStorage, no timers; importable from Node (tests/web/timeline.test.mjs, test clients).
 *
 * The protocol (docs/CHAT_PROTOCOL.md) numbers each room's messages 1, 2, 3… with no gaps. A
 * client may get a message twice (ack + live event, sync overlap), out of order (several
 * replicas) or not at all (broker outage): it merges by seq, detects jumps and asks `sync` for
 * what is missing. This module is that bookkeeping; the UI keeps one Timeline per room.
 *
 * Types
 *   Message   { id, roomId, seq, author: { id: number|null, name }, text, createdAt: ms,
 *               clientId: string|null, replyTo: seq|null, quote: Quote|null,
 *               editedAt: ms|null, deleted: bool, change: number, reactions: Reaction[] }
 *               (what normaliseMessage returns; message-fields.js checks the later fields)
 *   Timeline  { messages:   Message[] sorted by seq, no duplicates
 *               bySeq:      Map seq -> Message (the index of `messages`)
 *               lastSeq:    highest seq known to exist (server's Room.lastSeq or seen)
 *               lastRead:   highest seq the user has read
 *               baseUnread: unread count not backed by individual messages (lastSeq - lastRead
 *                           for messages never received one by one)
 *               baseSeq:    messages at or below this seq are covered by baseUnread
 *               unreadSeqs: Set of seqs of others' unread messages (a message counts once)
 *               lastChange: every change of the room up to this number is applied
 *                           (changes.js: edits, deletes, reactions) }
 *
 * API (stable: additions only)
 *   SYNC_LIMIT                                  sync returns at most this many messages per room
 *   PAGE                                        room:join / history page size
 *   normaliseMessage(raw) -> Message|null       validates and copies a server Message
 *   createTimeline({ lastSeq, readMark, assumeRead, countUnread, lastChange }) -> Timeline
 *   mergeMessages(t, raws, { roomId, keep, open, myId }) -> { accepted, added, updated }
 *   replaceIfNewer(t, message) -> message|null  a held message replaced by a newer copy
 *   newestSeq(t) / oldestSeq(t) -> seq|null     newest / oldest stored message
 *   markRead(t) -> seq|null                     all read; returns the new read mark if it moved
 *   unreadCount(t, { open, member }) -> number
 *   clearUnread(t), forgetMessages(t)
 *   advanceLastSeq(t, serverLastSeq, { countUnread }) -> boolean
 *   gapSyncFrom(newestBefore, seq) -> seq|null  a live message jumped: sync from this seq
 *   firstMissingSeq(t, afterSeq) -> seq|null    first hole above afterSeq in stored messages
 *   resumeSeq(t, { loaded, seenLastSeq }) -> seq  where sync resumes after a reconnect
 *   initialSyncWant(entries) -> { [roomId]: seq }  the first sync request after a reconnect
 *   syncMessagesOf(res, roomId) -> raw[]        one room's list from a sync answer
 *   syncPages(res) -> [{ roomId, messages }]    the non-empty lists of a sync answer
 *   nextSyncWant(want, res, isKnown) -> { [roomId]: seq }  the next sync request ({} = done)
 *   hasOlderAfterJoin(t, received) / hasOlderAfterHistory(t, { received, added, beforeSeq })
 */
import { normaliseExtras } from './message-fields.js';
import { isObj, toId, validTime } from './values.js';

export const SYNC_LIMIT = 500;
export const PAGE = 50;
/** A reply's quote shows the first line of its original up to this many characters. */
export const QUOTE_CHARS = 200;

/** A seq is a positive integer (a numeric string is accepted, like any id). */
function toSeq(v) {
  const n = toId(v);
  return n !== null && Number.isSafeInteger(n) && n >= 1 ? n : null;
}

/**
 * Validates a server Message and returns a clean copy, or null when it is malformed (no room
 * id, no valid seq, text not a string). A missing author becomes { id: null, name: '?' }, a
 * missing time becomes now.
 */
export function normaliseMessage(m) {
  if (!isObj(m)) return null;
  const roomId = toId(m.roomId);
  const seq = toSeq(m.seq);
  if (roomId === null || seq === null || typeof m.text !== 'string') return null;
  const author = isObj(m.author) ? m.author : {};
  return {
    id: m.id,
    roomId,
    seq,
    author: { id: toId(author.id), name: typeof author.name === 'string' ? author.name : '?' },
    text: m.text,
    createdAt: validTime(m.createdAt),
    clientId: typeof m.clientId === 'string' ? m.clientId : null,
    ...normaliseExtras(m),
  };
}

/**
 * A new timeline. `lastSeq`: the server's Room.lastSeq. `readMark`: the stored read position,
 * if any; without one, `assumeRead` (first connection after sign-in) counts everything up to
 * lastSeq as read, otherwise nothing is. `countUnread`: false for rooms the user is not in.
 */
export function createTimeline({ lastSeq = 0, readMark = null, assumeRead = false, countUnread = true, lastChange = 0 } = {}) {
  const lastRead = typeof readMark === 'number' ? readMark : (assumeRead ? lastSeq : 0);
  return {
    messages: [],
    bySeq: new Map(),
    lastSeq,
    lastChange,
    lastRead,
    baseUnread: countUnread && lastSeq > lastRead ? lastSeq - lastRead : 0,
    baseSeq: lastSeq,
    unreadSeqs: new Set(),
  };
}

function insertSorted(list, m) {
  if (!list.length || list[list.length - 1].seq < m.seq) {
    list.push(m);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].seq < m.seq) lo = mid + 1; else hi = mid;
  }
  list.splice(lo, 0, m);
}

/**
 * Replaces the held copy of `m` (same seq) when `m` is newer by its change number (an edit,
 * delete or reaction since); returns `m` when it did, else null (not held, or not newer).
 */
export function replaceIfNewer(t, m) {
  const held = t.bySeq.get(m.seq);
  if (!held || held.change >= m.change) return null;
  t.bySeq.set(m.seq, m);
  const i = t.messages.indexOf(held);
  if (i >= 0) t.messages[i] = m;
  patchQuotes(t, m);
  return m;
}

/**
 * The replies held to `original` quote it as it is now (a reply's own change number does not
 * move when its original is edited or deleted, so nothing else would update them). The same
 * excerpt as the server's: the first line, at most QUOTE_CHARS characters.
 */
function patchQuotes(t, original) {
  const line = original.text.split('\n', 1)[0];
  const text = original.deleted ? '' : (line.length > QUOTE_CHARS ? `${line.slice(0, QUOTE_CHARS)}\u2026` : line);
  for (const [seq, reply] of t.bySeq) {
    if (reply.replyTo !== original.seq || !reply.quote) continue;
    const patched = { ...reply, quote: { ...reply.quote, text, deleted: original.deleted, author: original.author } };
    t.bySeq.set(seq, patched);
    const i = t.messages.indexOf(reply);
    if (i >= 0) t.messages[i] = patched;
  }
}

/**
 * Merges messages of room `roomId` from any source (ack, live event, sync, history); others
 * and malformed ones are skipped. `keep`: store them (false while the room's page was never
 * loaded: only lastSeq and unread counts follow). `open`: the room is on screen (nothing
 * becomes unread). `myId`: own messages never count as unread.
 * Returns `accepted` (every valid message of the room, duplicates included, in input order),
 * `added` (those not stored before; with keep false, all accepted) and `updated` (held ones
 * replaced by a newer copy: edited, deleted or reacted to since).
 */
export function mergeMessages(t, raws, { roomId, keep = true, open = false, myId = null } = {}) {
  const accepted = [];
  const added = [];
  const updated = [];
  for (const raw of raws) {
    const m = normaliseMessage(raw);
    if (!m || m.roomId !== roomId) continue;
    accepted.push(m);
    if (m.seq > t.lastSeq) t.lastSeq = m.seq;
    const isNew = keep ? !t.bySeq.has(m.seq) : true;
    if (keep && isNew) {
      t.bySeq.set(m.seq, m);
      insertSorted(t.messages, m);
    } else if (keep && replaceIfNewer(t, m)) {
      updated.push(m);
    }
    if (isNew) added.push(m);
    const own = myId !== null && m.author.id === myId;
    if (!open && !own && m.seq > t.lastRead && m.seq > t.baseSeq) t.unreadSeqs.add(m.seq);
  }
  return { accepted, added, updated };
}

export function newestSeq(t) { return t.messages.length ? t.messages[t.messages.length - 1].seq : null; }
export function oldestSeq(t) { return t.messages.length ? t.messages[0].seq : null; }

/** Everything known is read. Returns the new read mark when it moved forward (to store it), else null. */
export function markRead(t) {
  const newest = newestSeq(t);
  const top = newest === null ? t.lastSeq : Math.max(t.lastSeq, newest);
  clearUnread(t);
  if (top <= t.lastRead) return null;
  t.lastRead = top;
  return top;
}

/** The badge count: 0 for the open room and rooms the user is not in. */
export function unreadCount(t, { open = false, member = true } = {}) {
  if (open || !member) return 0;
  return Math.max(0, t.baseUnread) + t.unreadSeqs.size;
}

export function clearUnread(t) {
  t.baseUnread = 0;
  t.unreadSeqs.clear();
}

/** Drops the stored messages (the room was left); counts and marks stay. */
export function forgetMessages(t) {
  t.messages = [];
  t.bySeq = new Map();
}

/**
 * The server says the room reached `serverLastSeq` (Room.lastSeq in `ready`, `room:added`,
 * GET /api/rooms, or after a sync that could not cover everything). Messages never received
 * one by one count as unread when `countUnread`. Returns whether lastSeq moved.
 */
export function advanceLastSeq(t, serverLastSeq, { countUnread = true } = {}) {
  if (!(serverLastSeq > t.lastSeq)) return false;
  if (countUnread) t.baseUnread += serverLastSeq - Math.max(t.lastSeq, t.lastRead);
  t.lastSeq = serverLastSeq;
  t.baseSeq = Math.max(t.baseSeq, serverLastSeq);
  return true;
}

/**
 * A live message `seq` arrived while the newest stored one was `newestBefore` (null: nothing
 * stored, no judgement possible). A jump means something is missing: returns the seq to
 * `sync` from (newestBefore), else null.
 */
export function gapSyncFrom(newestBefore, seq) {
  return newestBefore !== null && newestBefore !== undefined && seq > newestBefore + 1 ? newestBefore : null;
}

/** The first seq missing between stored messages above `afterSeq`, or null when they are contiguous. */
export function firstMissingSeq(t, afterSeq = 0) {
  const list = t.messages;
  for (let i = 1; i < list.length; i++) {
    if (list[i].seq > afterSeq && list[i].seq !== list[i - 1].seq + 1) return list[i - 1].seq + 1;
  }
  return null;
}

/**
 * Where `sync` resumes for a room after a reconnect: after its newest stored message when its
 * page is loaded, else after `seenLastSeq` (its lastSeq before the reconnect).
 */
export function resumeSeq(t, { loaded = true, seenLastSeq = t.lastSeq } = {}) {
  return loaded && t.messages.length ? newestSeq(t) : seenLastSeq;
}

/** entries: iterable of { roomId, timeline, loaded, seenLastSeq } (the rooms to catch up). */
export function initialSyncWant(entries) {
  const want = {};
  for (const { roomId, timeline, loaded, seenLastSeq } of entries) {
    want[roomId] = resumeSeq(timeline, { loaded, seenLastSeq });
  }
  return want;
}

/** The message list of one room in a sync answer (`{messages: {"<roomId>": [...]}}`), or []. */
export function syncMessagesOf(res, roomId) {
  const byRoom = isObj(res) && isObj(res.messages) ? res.messages : {};
  const list = byRoom[roomId];
  return Array.isArray(list) ? list : [];
}

/** The non-empty per-room lists of a sync answer, each with its key as sent. */
function pagesOf(res) {
  const byRoom = isObj(res) && isObj(res.messages) ? res.messages : {};
  const pages = [];
  for (const [key, list] of Object.entries(byRoom)) {
    const roomId = toId(key);
    if (roomId !== null && Array.isArray(list) && list.length) pages.push({ key, roomId, messages: list });
  }
  return pages;
}

/** The non-empty per-room lists of a sync answer, with numeric room ids. */
export function syncPages(res) {
  return pagesOf(res).map(({ roomId, messages }) => ({ roomId, messages }));
}

/**
 * The next sync request after answer `res` to request `want`. A room comes back when its list
 * was full (SYNC_LIMIT) or the server marked it in `more` (the answer keeps within a byte
 * budget): from the newest seq received, or from where it was asked for rooms the answer did
 * not reach. `isKnown(roomId)`: rooms the client still has (others are not asked again from a
 * received list). Returns {} when everything was covered.
 */
export function nextSyncWant(want, res, isKnown = () => true) {
  const next = {};
  const more = isObj(res) && isObj(res.more) ? res.more : {};
  for (const { key, roomId, messages } of pagesOf(res)) {
    if (!isKnown(roomId)) continue;
    if (messages.length >= SYNC_LIMIT || more[key] === true) {
      const last = normaliseMessage(messages[messages.length - 1]);
      if (last) next[roomId] = last.seq;
    }
  }
  for (const key of Object.keys(more)) {
    const id = toId(key);
    if (id !== null && more[key] === true && !(id in next) && id in want) next[id] = want[id];
  }
  return next;
}

/** After the first page (room:join / dm:open) of `received` messages: is there anything older? */
export function hasOlderAfterJoin(t, received) {
  const oldest = oldestSeq(t) ?? 0;
  return received >= PAGE && oldest > 1;
}

/**
 * After a history page asked `beforeSeq`: `received` messages came, `added` of them new. False
 * once the page was short, brought nothing new, did not reach further back, or reached seq 1.
 */
export function hasOlderAfterHistory(t, { received, added, beforeSeq }) {
  const oldest = oldestSeq(t) ?? 0;
  return !(received < PAGE || added === 0 || oldest >= beforeSeq || oldest <= 1);
}
