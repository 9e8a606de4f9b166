/*
 * unread.js — unread and mention counts from the server's read position (issue #13).
 * PURE: no DOM, no socket; importable from Node (tests/web/unread.test.mjs).
 *
 * The server keeps, per user and room, `readSeq` (Room.readSeq, the room:read ack and event):
 * everything up to it is read, on every device. A room's unread count is the messages after it,
 * less the user's own (written here or in another tab: nobody has to read their own words).
 * `mentionCount` (Room.mentionCount, the room:read ack and event) is the server's count of
 * unread messages that mention the user; live ones seen since are added until the server
 * counts again.
 *
 * API
 *   unreadAfter({ lastSeq, readSeq, ownSeqs }) -> number
 *   pruneSeqs(seqs, upTo)                      drops the seqs <= upTo from a Set (in place)
 *   mentionsMe(message, myId) -> boolean       message.mentions holds myId, or mentionsRoom
 *   mentionBadge({ mentionCount, mentionSeqs, readSeq }) -> number
 *   readTarget(readSeq, visibleSeqs) -> seq|null   the read position to send, if it moves on
 */

/** Messages after readSeq up to lastSeq, own ones (ownSeqs: seqs of own messages) excepted. */
export function unreadAfter({ lastSeq = 0, readSeq = 0, ownSeqs = [] } = {}) {
  if (!(lastSeq > readSeq)) return 0;
  let own = 0;
  for (const s of ownSeqs) if (s > readSeq && s <= lastSeq) own++;
  return Math.max(0, lastSeq - readSeq - own);
}

/** Drops every seq at or below `upTo` (they are read: nothing to count any more). */
export function pruneSeqs(seqs, upTo) {
  for (const s of Array.from(seqs)) if (s <= upTo) seqs.delete(s);
  return seqs;
}

/** The message mentions the user: by id (`mentions`), or the whole room (`mentionsRoom`). */
export function mentionsMe(m, myId) {
  if (!m || m.deleted) return false;
  if (m.mentionsRoom === true) return true;
  return myId !== null && myId !== undefined && Array.isArray(m.mentions) && m.mentions.includes(myId);
}

/**
 * The mention badge: the server's count (as of its last answer) plus the live mentions seen
 * since that are still unread (seq above readSeq).
 */
export function mentionBadge({ mentionCount = 0, mentionSeqs = [], readSeq = 0 } = {}) {
  let live = 0;
  for (const s of mentionSeqs) if (s > readSeq) live++;
  return Math.max(0, mentionCount) + live;
}

/** The newest seen seq when it is past the read position (what room:read sends), else null. */
export function readTarget(readSeq, visibleSeqs) {
  let top = null;
  for (const s of visibleSeqs) if (Number.isSafeInteger(s) && (top === null || s > top)) top = s;
  return top !== null && top > (readSeq || 0) ? top : null;
}
