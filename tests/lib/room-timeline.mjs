// The messages of one room as the test chat client holds them, merged by seq with web/timeline.js
// — the module the web UI merges with — so that tests and browser merge with the same code:
// mergeMessages (dedupe by seq, validation), firstMissingSeq (holes), nextSyncWant (whether a
// `sync` answer left more to fetch: a full page or the server's `more`).
//
// What the test client adds on top: it follows a room from seq `from` (1..from count as held,
// older messages are ignored), asks `sync` from the highest seq held without a hole below it
// (syncFrom), reports a message that differs from the one held under the same seq (a conflict
// the UI would silently drop), and keeps each message as the server sent it, so a test can
// compare what a client holds with what the server stored field for field.
//
// Changes to held messages (edits, deletes, reactions) go through web/changes.js, as in the UI:
// addChanged (a live `message:changed`: in order, or a jump that wants `sync`), and the
// `changed` lists of sync answers; `lastChange` is the room's change number the client holds
// everything up to, and what its next sync asks from.
import { applyChanged, mergeChanged, syncChangedOf, syncPosition } from "../../web/changes.js";
import {
  createTimeline,
  firstMissingSeq,
  mergeMessages,
  newestSeq,
  nextSyncWant,
  normaliseMessage,
  syncMessagesOf,
} from "../../web/timeline.js";

export class RoomTimeline {
  /** Follows room `roomId` from seq `from`, holding its changes up to number `change`. */
  constructor(roomId, from = 0, change = 0) {
    this.roomId = roomId;
    this.base = from;
    this.timeline = createTimeline({ lastSeq: from, countUnread: false });
    this.timeline.lastChange = change;
    this.raw = new Map(); // seq -> the message as the server sent it (first copy held)
  }

  /** Highest seq held with nothing missing from `from`+1 up to it: what a `sync` asks from. */
  syncFrom() {
    const t = this.timeline;
    if (!t.bySeq.has(this.base + 1)) return this.base;
    const hole = firstMissingSeq(t, this.base);
    return hole === null ? newestSeq(t) : hole - 1;
  }

  get lastSeq() {
    return this.syncFrom();
  }

  /** The room's change number held: every change up to it is applied. */
  get lastChange() {
    return this.timeline.lastChange ?? 0;
  }

  /** This room's entry of a sync request: {seq, change}. */
  syncWant() {
    return syncPosition(this.timeline, this.syncFrom());
  }

  has(seq) {
    return this.raw.has(seq);
  }

  /** The message held under `seq`, as the server sent it. */
  get(seq) {
    return this.raw.get(seq);
  }

  get size() {
    return this.raw.size;
  }

  /** Seqs held, ascending. */
  seqs() {
    return this.timeline.messages.map((m) => m.seq);
  }

  /** Merges raw messages of this room; returns the conflicts found (descriptions). */
  merge(list) {
    const conflicts = [];
    const fresh = [];
    for (const m of list) {
      const seq = normaliseMessage(m)?.seq;
      if (seq === undefined || seq <= this.base) continue; // malformed (the UI drops it too) or before `from`
      const held = this.raw.get(seq);
      if (held && (held.id !== m.id || held.text !== m.text))
        conflicts.push(`seq ${seq} of room ${this.roomId} is ${JSON.stringify(held)} and also ${JSON.stringify(m)}`);
      fresh.push(m);
    }
    const { added } = mergeMessages(this.timeline, fresh, { roomId: this.roomId, open: true });
    for (const m of added) this.raw.set(m.seq, fresh.find((r) => normaliseMessage(r)?.seq === m.seq));
    return conflicts;
  }

  /** Keeps the raw copy of each message a change replaced (the newer one, as sent). */
  keepChanged(raws) {
    for (const raw of raws) {
      const m = normaliseMessage(raw);
      if (!m || !this.raw.has(m.seq)) continue;
      if ((m.change ?? 0) > (this.raw.get(m.seq).change ?? 0)) this.raw.set(m.seq, raw);
    }
  }

  /**
   * A live `message:changed` {roomId, change, message}: applied when newer than the copy held.
   * Returns {syncFrom}: the change number to sync from after a jump, else null.
   */
  addChanged(event) {
    const { syncFrom } = applyChanged(this.timeline, event, { roomId: this.roomId });
    this.keepChanged([event?.message]);
    return { syncFrom };
  }

  /**
   * A live `message`: {conflict, gap}. `gap`: a message below it is missing (a `sync` is
   * wanted). One at or below syncFrom() is held already (from a sync) and ignored.
   */
  addLive(m) {
    if (normaliseMessage(m)?.seq <= this.syncFrom()) return { conflict: null, gap: false };
    const [conflict = null] = this.merge([m]);
    return { conflict, gap: m.seq > this.syncFrom() };
  }

  /**
   * This room's part of a `sync` answer `res` to request `want`: {conflicts, more}. `more`: ask
   * again — the answer was a full page or marked `more` (nextSyncWant), or a hole remains below
   * a held message.
   */
  addSynced(res, want) {
    const conflicts = this.merge(syncMessagesOf(res, this.roomId));
    const changed = syncChangedOf(res, this.roomId);
    mergeChanged(this.timeline, changed, { roomId: this.roomId });
    this.keepChanged(changed);
    const next = nextSyncWant(want, res);
    const holeRemains = (newestSeq(this.timeline) ?? this.base) > this.syncFrom();
    return { conflicts, more: this.roomId in next || holeRemains };
  }
}
