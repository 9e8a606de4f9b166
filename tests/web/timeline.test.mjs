// Unit tests of web/timeline.js: the UI's pure bookkeeping of a room's messages (merge by seq,
// gaps, unread counts, sync positions). No server, no browser.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  SYNC_LIMIT, PAGE, normaliseMessage, createTimeline, mergeMessages, newestSeq, oldestSeq, markRead,
  unreadCount, clearUnread, forgetMessages, advanceLastSeq, gapSyncFrom, firstMissingSeq, resumeSeq,
  initialSyncWant, syncMessagesOf, syncPages, nextSyncWant, hasOlderAfterJoin, hasOlderAfterHistory,
} from "../../web/timeline.js";

const ROOM = 1;
const ME = 10;
const OTHER = 20;

/** A server Message of ROOM (or `roomId`) by OTHER unless said otherwise. */
function msg(seq, { roomId = ROOM, author = OTHER, text = `m${seq}`, clientId } = {}) {
  const m = { id: 1000 + seq, roomId, seq, author: { id: author, name: `u${author}` }, text, createdAt: 1_700_000_000_000 + seq };
  if (clientId) m.clientId = clientId;
  return m;
}
const seqs = (t) => t.messages.map((m) => m.seq);
const merge = (t, list, opts = {}) => mergeMessages(t, list, { roomId: ROOM, myId: ME, ...opts });

describe("normaliseMessage", () => {
  test("copies a valid message and fills the optional parts", () => {
    const m = normaliseMessage({ ...msg(3), clientId: "c-1" });
    assert.deepEqual(m, { id: 1003, roomId: 1, seq: 3, author: { id: 20, name: "u20" }, text: "m3", createdAt: 1_700_000_000_003, clientId: "c-1",
      replyTo: null, quote: null, editedAt: null, deleted: false, change: 0, reactions: [], mentions: [], mentionsRoom: false, attachments: [] });
    const bare = normaliseMessage({ roomId: "2", seq: "5", text: "" });
    assert.equal(bare.roomId, 2);
    assert.equal(bare.seq, 5);
    assert.deepEqual(bare.author, { id: null, name: "?" });
    assert.equal(bare.clientId, null);
    assert.equal(typeof bare.createdAt, "number");
  });

  test("rejects malformed messages", () => {
    const bad = [
      null, undefined, 42, "text", [], [msg(1)],
      { seq: 1, text: "no room" },
      { roomId: 1, text: "no seq" },
      { roomId: 1, seq: 1 },                       // no text
      { roomId: 1, seq: 1, text: 5 },
      { roomId: "x", seq: 1, text: "a" },
      { roomId: null, seq: 1, text: "a" },
      { roomId: 1, seq: null, text: "a" },
      { roomId: 1, seq: 0, text: "a" },
      { roomId: 1, seq: -3, text: "a" },
      { roomId: 1, seq: 1.5, text: "a" },
      { roomId: 1, seq: true, text: "a" },
      { roomId: 1, seq: "", text: "a" },
      { roomId: 1, seq: Infinity, text: "a" },
    ];
    for (const raw of bad) assert.equal(normaliseMessage(raw), null, JSON.stringify(raw));
  });

  test("is idempotent", () => {
    const once = normaliseMessage(msg(7));
    assert.deepEqual(normaliseMessage(once), once);
  });
});

describe("merging by seq", () => {
  test("out-of-order messages end sorted", () => {
    const t = createTimeline();
    merge(t, [msg(5), msg(2)]);
    merge(t, [msg(4)]);
    merge(t, [msg(1), msg(3), msg(6)]);
    assert.deepEqual(seqs(t), [1, 2, 3, 4, 5, 6]);
    assert.equal(t.lastSeq, 6);
    assert.equal(newestSeq(t), 6);
    assert.equal(oldestSeq(t), 1);
    assert.equal(t.bySeq.get(4).text, "m4");
    assert.equal(t.bySeq.size, 6);
  });

  test("a duplicate is stored once, whatever its source", () => {
    const t = createTimeline();
    const first = merge(t, [msg(1), msg(2)]);
    assert.deepEqual(first.added.map((m) => m.seq), [1, 2]);
    const again = merge(t, [msg(2), msg(2, { text: "changed" }), msg(3)]);
    assert.deepEqual(again.accepted.map((m) => m.seq), [2, 2, 3], "duplicates are accepted (for the caller's bookkeeping)");
    assert.deepEqual(again.added.map((m) => m.seq), [3], "but only the new one is added");
    assert.deepEqual(seqs(t), [1, 2, 3]);
    assert.equal(t.bySeq.get(2).text, "m2", "the first copy stays");
  });

  test("messages of other rooms and malformed ones are skipped", () => {
    const t = createTimeline();
    const r = merge(t, [msg(1, { roomId: 2 }), { roomId: ROOM, seq: "bad", text: "x" }, null, msg(1)]);
    assert.deepEqual(r.accepted.map((m) => m.seq), [1]);
    assert.deepEqual(seqs(t), [1]);
  });

  test("without keep only lastSeq and unread counts follow", () => {
    const t = createTimeline();
    const r = merge(t, [msg(3), msg(3)], { keep: false });
    assert.deepEqual(t.messages, []);
    assert.equal(t.bySeq.size, 0);
    assert.equal(t.lastSeq, 3);
    assert.equal(r.added.length, 2, "nothing is stored, so everything counts as added");
    assert.equal(unreadCount(t), 1);
  });

  test("lastSeq only moves forward", () => {
    const t = createTimeline({ lastSeq: 9 });
    merge(t, [msg(4)]);
    assert.equal(t.lastSeq, 9);
  });
});

describe("gaps", () => {
  test("a live jump asks sync from the newest seq before it", () => {
    assert.equal(gapSyncFrom(4, 5), null, "next in line");
    assert.equal(gapSyncFrom(4, 4), null, "duplicate");
    assert.equal(gapSyncFrom(4, 2), null, "older (overtaken) message");
    assert.equal(gapSyncFrom(4, 6), 4);
    assert.equal(gapSyncFrom(4, 100), 4);
    assert.equal(gapSyncFrom(null, 9), null, "nothing stored: no judgement");
  });

  test("firstMissingSeq finds the hole above a seq", () => {
    const t = createTimeline();
    merge(t, [msg(1), msg(2), msg(5), msg(6), msg(9)]);
    assert.equal(firstMissingSeq(t), 3);
    assert.equal(firstMissingSeq(t, 2), 3);
    assert.equal(firstMissingSeq(t, 5), 7);
    assert.equal(firstMissingSeq(t, 9), null);
    merge(t, [msg(4), msg(3), msg(7), msg(8)]);
    assert.equal(firstMissingSeq(t), null, "filled");
    assert.equal(firstMissingSeq(createTimeline()), null);
  });

  test("a gap filled by sync (resynced messages overlapping stored ones)", () => {
    const t = createTimeline();
    merge(t, [msg(1), msg(2), msg(3)]);
    const before = newestSeq(t);
    merge(t, [msg(6)]);
    const from = gapSyncFrom(before, 6);
    assert.equal(from, 3);
    assert.equal(firstMissingSeq(t, from), 4);
    // The sync answer holds everything after 3, including 6 which is already there.
    const res = { ok: true, messages: { [ROOM]: [msg(4), msg(5), msg(6)] } };
    const r = merge(t, syncMessagesOf(res, ROOM));
    assert.deepEqual(r.added.map((m) => m.seq), [4, 5]);
    assert.deepEqual(seqs(t), [1, 2, 3, 4, 5, 6]);
    assert.equal(firstMissingSeq(t, from), null);
  });
});

describe("unread counts", () => {
  test("others' messages above the read mark count once; own ones never", () => {
    const t = createTimeline({ lastSeq: 2, readMark: 2 });
    merge(t, [msg(3), msg(3), msg(4, { author: ME }), msg(5)]);
    merge(t, [msg(5)]);
    assert.equal(unreadCount(t), 2);
    assert.deepEqual([...t.unreadSeqs].sort(), [3, 5]);
  });

  test("messages at or below the read mark do not count", () => {
    const t = createTimeline({ lastSeq: 5, readMark: 5 });
    merge(t, [msg(4), msg(5), msg(6)]);
    assert.equal(unreadCount(t), 1);
  });

  test("the open room and rooms the user is not in show 0", () => {
    const t = createTimeline();
    merge(t, [msg(1)], { open: true });
    assert.equal(t.unreadSeqs.size, 0, "nothing counted while open");
    merge(t, [msg(2)]);
    assert.equal(unreadCount(t), 1);
    assert.equal(unreadCount(t, { open: true }), 0);
    assert.equal(unreadCount(t, { member: false }), 0);
  });

  test("without a stored mark: unread from lastSeq, or all read on the first connection", () => {
    assert.equal(unreadCount(createTimeline({ lastSeq: 7 })), 7);
    assert.equal(unreadCount(createTimeline({ lastSeq: 7, assumeRead: true })), 0);
    assert.equal(unreadCount(createTimeline({ lastSeq: 7, readMark: 4 })), 3);
    assert.equal(unreadCount(createTimeline({ lastSeq: 7, readMark: 4, assumeRead: true })), 3, "a stored mark wins");
    assert.equal(unreadCount(createTimeline({ lastSeq: 7, countUnread: false })), 0);
  });

  test("messages covered by the base count are not counted again", () => {
    const t = createTimeline({ lastSeq: 4, readMark: 1 });
    assert.equal(unreadCount(t), 3);
    merge(t, [msg(2), msg(3), msg(4), msg(5)]);
    assert.equal(unreadCount(t), 4, "2..4 are in baseUnread, only 5 is added");
  });

  test("markRead clears the counts and reports a moved mark once", () => {
    const t = createTimeline({ lastSeq: 3, readMark: 1 });
    merge(t, [msg(4), msg(5)]);
    assert.equal(markRead(t), 5);
    assert.equal(t.lastRead, 5);
    assert.equal(unreadCount(t), 0);
    assert.equal(markRead(t), null, "nothing new");
    merge(t, [msg(5)]);
    assert.equal(unreadCount(t), 0, "a duplicate of a read message is not unread");
  });

  test("advanceLastSeq counts messages never received one by one", () => {
    const t = createTimeline({ lastSeq: 5, readMark: 5 });
    assert.equal(advanceLastSeq(t, 5), false);
    assert.equal(advanceLastSeq(t, 8), true);
    assert.equal(t.lastSeq, 8);
    assert.equal(unreadCount(t), 3);
    merge(t, [msg(7), msg(8)]);
    assert.equal(unreadCount(t), 3, "7 and 8 are already in the base count");
    merge(t, [msg(9)]);
    assert.equal(unreadCount(t), 4);
    const open = createTimeline({ lastSeq: 5, readMark: 5 });
    advanceLastSeq(open, 9, { countUnread: false });
    assert.equal(open.lastSeq, 9);
    assert.equal(unreadCount(open), 0);
  });

  test("clearUnread and forgetMessages (leaving a room)", () => {
    const t = createTimeline();
    merge(t, [msg(1), msg(2)]);
    forgetMessages(t);
    clearUnread(t);
    assert.deepEqual(t.messages, []);
    assert.equal(t.bySeq.size, 0);
    assert.equal(unreadCount(t), 0);
    assert.equal(t.lastSeq, 2);
  });
});

describe("sync positions", () => {
  test("a loaded room resumes after its newest stored message, others after the seq seen", () => {
    const loaded = createTimeline();
    merge(loaded, [msg(1), msg(2), msg(3)]);
    loaded.lastSeq = 9; // e.g. raised by a ready that listed the room
    assert.equal(resumeSeq(loaded, { loaded: true, seenLastSeq: 9 }), 3);
    assert.equal(resumeSeq(loaded, { loaded: false, seenLastSeq: 9 }), 9);
    assert.equal(resumeSeq(createTimeline(), { loaded: true, seenLastSeq: 4 }), 4, "loaded but empty");
    assert.equal(resumeSeq(createTimeline({ lastSeq: 6 })), 6);
    assert.deepEqual(
      initialSyncWant([
        { roomId: 1, timeline: loaded, loaded: true, seenLastSeq: 9 },
        { roomId: 2, timeline: createTimeline(), loaded: false, seenLastSeq: 0 },
      ]),
      { 1: 3, 2: 0 });
  });

  test("sync answers: pages, full rooms asked again, `more` rooms not reached", () => {
    const full = Array.from({ length: SYNC_LIMIT }, (_, i) => msg(11 + i));
    const res = {
      ok: true,
      messages: { 1: full, 2: [msg(4, { roomId: 2 })], 3: [msg(8, { roomId: 3 })], 4: [], 5: "junk" },
      more: { 3: true, 6: true, 7: true },
    };
    assert.deepEqual(syncPages(res).map((p) => [p.roomId, p.messages.length]), [[1, SYNC_LIMIT], [2, 1], [3, 1]]);
    assert.deepEqual(syncMessagesOf(res, 2).map((m) => m.seq), [4]);
    assert.deepEqual(syncMessagesOf(res, 4), []);
    assert.deepEqual(syncMessagesOf(res, 5), []);
    assert.deepEqual(syncMessagesOf(null, 1), []);
    const want = { 1: 10, 2: 3, 3: 7, 6: 12 };
    // 1: full page, from its last; 2: covered; 3: in `more`, from its last; 6: not reached,
    // from where it was asked; 7: in `more` but never asked.
    assert.deepEqual(nextSyncWant(want, res), { 1: 10 + SYNC_LIMIT, 3: 8, 6: 12 });
    assert.deepEqual(nextSyncWant(want, res, (id) => id !== 1), { 3: 8, 6: 12 }, "unknown rooms are not asked again from a list");
    assert.deepEqual(nextSyncWant(want, { ok: true, messages: {} }), {}, "everything covered");
    assert.deepEqual(nextSyncWant(want, undefined), {});
  });

  test("resync: a lost last message is fetched from the newest stored seq, overlap merged once", () => {
    const t = createTimeline({ lastSeq: 0, readMark: 0 });
    merge(t, [msg(1), msg(2), msg(3)], { open: true });
    markRead(t); // what the UI does after merging into the open room
    // Then the room is closed, and the server's broker connection comes back: seq 4 and 5 may
    // have been lost. The client asks from 3.
    const want = initialSyncWant([{ roomId: ROOM, timeline: t, loaded: true, seenLastSeq: t.lastSeq }]);
    assert.deepEqual(want, { [ROOM]: 3 });
    const res = { ok: true, messages: { [ROOM]: [msg(3), msg(4), msg(5)] } };
    const added = syncPages(res).flatMap((page) => merge(t, page.messages).added);
    assert.deepEqual(added.map((m) => m.seq), [4, 5]);
    assert.deepEqual(seqs(t), [1, 2, 3, 4, 5]);
    assert.equal(unreadCount(t), 2, "the two fetched messages of others are unread in a closed room");
    assert.deepEqual(nextSyncWant(want, res), {}, "done in one round");
  });

  test("a reconnect catch-up in rounds ends with every message once", () => {
    const t = createTimeline();
    merge(t, [msg(1), msg(2)]);
    const server = Array.from({ length: 1200 }, (_, i) => msg(i + 1));
    const answer = (rooms) => {
      const messages = {};
      for (const [id, after] of Object.entries(rooms)) messages[id] = server.filter((m) => m.seq > after).slice(0, SYNC_LIMIT);
      return { ok: true, messages };
    };
    let want = initialSyncWant([{ roomId: ROOM, timeline: t, loaded: true, seenLastSeq: 2 }]);
    const asked = [];
    while (Object.keys(want).length) {
      asked.push(want[ROOM]);
      const res = answer(want);
      for (const page of syncPages(res)) merge(t, page.messages);
      want = nextSyncWant(want, res);
    }
    assert.deepEqual(asked, [2, 502, 1002]);
    assert.equal(t.messages.length, 1200);
    assert.equal(firstMissingSeq(t), null);
    assert.equal(t.lastSeq, 1200);
  });
});

describe("older pages", () => {
  test("after the first page", () => {
    const t = createTimeline();
    merge(t, Array.from({ length: PAGE }, (_, i) => msg(51 + i)));
    assert.equal(hasOlderAfterJoin(t, PAGE), true);
    assert.equal(hasOlderAfterJoin(t, PAGE - 1), false, "a short page is everything");
    const fromOne = createTimeline();
    merge(fromOne, Array.from({ length: PAGE }, (_, i) => msg(1 + i)));
    assert.equal(hasOlderAfterJoin(fromOne, PAGE), false, "seq 1 is the first message");
  });

  test("after a history page", () => {
    const t = createTimeline();
    merge(t, Array.from({ length: PAGE }, (_, i) => msg(101 + i)));
    const page = Array.from({ length: PAGE }, (_, i) => msg(51 + i));
    const { added } = merge(t, page);
    assert.equal(hasOlderAfterHistory(t, { received: page.length, added: added.length, beforeSeq: 101 }), true);
    assert.equal(hasOlderAfterHistory(t, { received: PAGE - 1, added: 10, beforeSeq: 101 }), false, "short page");
    assert.equal(hasOlderAfterHistory(t, { received: PAGE, added: 0, beforeSeq: 101 }), false, "nothing new");
    assert.equal(hasOlderAfterHistory(t, { received: PAGE, added: 5, beforeSeq: 51 }), false, "did not reach further back");
    merge(t, [msg(1)]);
    assert.equal(hasOlderAfterHistory(t, { received: PAGE, added: 5, beforeSeq: 51 }), false, "reached seq 1");
  });
});
