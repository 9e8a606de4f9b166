/*
 * changes.js — edits, deletes and reactions of messages a room's timeline already holds.
 * PURE: no DOM, no socket; importable from Node (tests/web/changes.test.mjs, test clients).
 *
 * The protocol (docs/CHAT_PROTOCOL.md, "Never missing a message") numbers a room's changes 1,
 * 2, 3… with no gaps; a message carries the number of its latest change. A timeline keeps
 * `lastChange`: every change up to it is applied. A `message:changed` event may come twice, late
 * or not at all (replicas, broker outages); `sync {seq, change}` brings each message changed
 * after a number as it is now. So:
 *   - a message is replaced only by a copy with a higher `change` (a late event never undoes a
 *     newer state);
 *   - lastChange moves by one per event in order; a jump asks `sync` from lastChange;
 *   - a sync (or join) answer's `changed` list holds every change above the number asked, in
 *     order: lastChange moves to its highest.
 *
 * API
 *   applyChanged(t, event, { roomId }) -> { updated: Message|null, syncFrom: number|null }
 *   mergeChanged(t, raws, { roomId }) -> Message[] (the held messages it replaced)
 *   syncPosition(t, seq) -> { seq, change }     one room's entry in a sync request
 *   syncChangedOf(res, roomId) -> raw[]         one room's `changed` list in a sync answer
 */
import { normaliseMessage, replaceIfNewer } from './timeline.js';
import { isObj, toId } from './values.js';

/**
 * A `message:changed` event {roomId, change, message}. `updated`: the held message it replaced
 * (null when not held or not newer). `syncFrom`: the change number to `sync` from when changes
 * were skipped, else null.
 */
export function applyChanged(t, event, { roomId } = {}) {
  if (!isObj(event)) return { updated: null, syncFrom: null };
  const m = normaliseMessage(event.message);
  const change = toId(event.change);
  if (!m || m.roomId !== roomId || change === null || !Number.isSafeInteger(change) || change < 1)
    return { updated: null, syncFrom: null };
  const updated = replaceIfNewer(t, m);
  const lastChange = t.lastChange ?? 0;
  if (change === lastChange + 1) {
    t.lastChange = change;
    return { updated, syncFrom: null };
  }
  return { updated, syncFrom: change > lastChange + 1 ? lastChange : null };
}

/** A `changed` list (sync, room:join): every change above the number asked, by change. */
export function mergeChanged(t, raws, { roomId } = {}) {
  const updated = [];
  if (!Array.isArray(raws)) return updated;
  for (const raw of raws) {
    const m = normaliseMessage(raw);
    if (!m || m.roomId !== roomId) continue;
    const replaced = replaceIfNewer(t, m);
    if (replaced) updated.push(replaced);
    if (m.change > (t.lastChange ?? 0)) t.lastChange = m.change;
  }
  return updated;
}

/** One room's entry of a sync request: after `seq`, and changes after the timeline's number. */
export function syncPosition(t, seq) {
  return { seq, change: t.lastChange ?? 0 };
}

/** The `changed` list of one room in a sync answer, or []. */
export function syncChangedOf(res, roomId) {
  const byRoom = isObj(res) && isObj(res.changed) ? res.changed : {};
  const list = byRoom[roomId];
  return Array.isArray(list) ? list : [];
}
