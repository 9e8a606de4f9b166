// Unit tests of web/changes.js and web/message-fields.js: how a timeline takes edits, deletes and
// reactions (message:changed events, sync's and join's `changed` lists), whatever order they
// come in, and how the fields they carry are checked. No server, no browser.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { applyChanged, mergeChanged, syncChangedOf, syncPosition } from "../../web/changes.js";
import { normaliseAttachments, normaliseExtras, normaliseQuote, normaliseReactions } from "../../web/message-fields.js";
import { createTimeline, mergeMessages, normaliseMessage } from "../../web/timeline.js";

const ROOM = 1;

function msg(seq, { text = `m${seq}`, change = 0, ...rest } = {}) {
  return { id: 1000 + seq, roomId: ROOM, seq, author: { id: 20, name: "u20" }, text, createdAt: 1, change, ...rest };
}

/** A timeline holding messages 1..n as sent. */
function holding(n) {
  const t = createTimeline();
  mergeMessages(t, Array.from({ length: n }, (_, i) => msg(i + 1)), { roomId: ROOM });
  return t;
}

const event = (change, m) => ({ roomId: ROOM, change, message: m });
const text = (t, seq) => t.bySeq.get(seq).text;

describe("applyChanged", () => {
  test("changes in order are applied and move the room's change number", () => {
    const t = holding(3);
    const r1 = applyChanged(t, event(1, msg(2, { text: "edited", change: 1, editedAt: 5 })), { roomId: ROOM });
    assert.equal(r1.syncFrom, null);
    assert.equal(r1.updated.text, "edited");
    assert.equal(text(t, 2), "edited");
    assert.equal(t.messages[1].editedAt, 5);
    applyChanged(t, event(2, msg(3, { text: "", deleted: true, change: 2 })), { roomId: ROOM });
    assert.equal(t.lastChange, 2);
    assert.equal(t.bySeq.get(3).deleted, true);
  });

  test("a late event never undoes a newer state", () => {
    const t = holding(2);
    applyChanged(t, event(1, msg(1, { text: "first edit", change: 1 })), { roomId: ROOM });
    applyChanged(t, event(2, msg(1, { text: "second edit", change: 2 })), { roomId: ROOM });
    const late = applyChanged(t, event(1, msg(1, { text: "first edit", change: 1 })), { roomId: ROOM });
    assert.equal(late.updated, null);
    assert.equal(late.syncFrom, null);
    assert.equal(text(t, 1), "second edit");
    assert.equal(t.lastChange, 2);
  });

  test("a jump asks sync from the last change applied, and still applies what came", () => {
    const t = holding(3);
    const r = applyChanged(t, event(3, msg(2, { text: "x", change: 3 })), { roomId: ROOM });
    assert.equal(r.syncFrom, 0);
    assert.equal(text(t, 2), "x");
    assert.equal(t.lastChange, 0, "not moved past changes it never saw");
  });

  test("a change of a message not held only counts", () => {
    const t = holding(1);
    const r = applyChanged(t, event(1, msg(9, { text: "far away", change: 1 })), { roomId: ROOM });
    assert.equal(r.updated, null);
    assert.equal(t.lastChange, 1);
    assert.equal(t.bySeq.has(9), false);
  });

  test("malformed events and other rooms change nothing", () => {
    const t = holding(1);
    for (const e of [null, 5, {}, event(0, msg(1, { change: 1 })), event("x", msg(1, { change: 1 })),
      event(1, { ...msg(1, { change: 1 }), roomId: 2 }), event(1, { seq: 1 }), event(1.5, msg(1, { change: 1 }))]) {
      assert.deepEqual(applyChanged(t, e, { roomId: ROOM }), { updated: null, syncFrom: null }, JSON.stringify(e));
    }
    assert.equal(t.lastChange, 0);
    assert.equal(text(t, 1), "m1");
  });
});

describe("quotes", () => {
  test("replies held quote their original as it is after an edit or a delete", () => {
    const t = holding(1);
    const quote = { seq: 1, author: { id: 20, name: "u20" }, text: "m1", deleted: false };
    mergeMessages(t, [msg(2, { replyTo: 1, quote }), msg(3, { replyTo: 1, quote })], { roomId: ROOM });
    applyChanged(t, event(1, msg(1, { text: "first line\nsecond", change: 1 })), { roomId: ROOM });
    assert.equal(t.bySeq.get(2).quote.text, "first line");
    assert.equal(t.messages[2].quote.text, "first line");
    applyChanged(t, event(2, msg(1, { text: "", deleted: true, change: 2 })), { roomId: ROOM });
    assert.deepEqual(t.bySeq.get(3).quote, { seq: 1, author: { id: 20, name: "u20" }, text: "", deleted: true });
    assert.equal(t.bySeq.get(2).change, 0, "the reply itself did not change");
  });
});

describe("mergeChanged and sync", () => {
  test("a changed list replaces what is older and moves to its highest change", () => {
    const t = holding(4);
    applyChanged(t, event(1, msg(1, { text: "a", change: 1 })), { roomId: ROOM });
    const updated = mergeChanged(t, [msg(1, { text: "stale", change: 1 }), msg(3, { text: "c", change: 4 }),
      msg(2, { text: "b", change: 5 })], { roomId: ROOM });
    assert.deepEqual(updated.map((m) => m.seq), [3, 2]);
    assert.equal(text(t, 1), "a");
    assert.equal(t.lastChange, 5);
    assert.deepEqual(syncPosition(t, 4), { seq: 4, change: 5 });
    assert.deepEqual(mergeChanged(t, "nope", { roomId: ROOM }), []);
  });

  test("messages merged by seq from history or sync also replace older copies", () => {
    const t = holding(2);
    const { added, updated } = mergeMessages(t, [msg(2, { text: "edited", change: 3 }), msg(3)], { roomId: ROOM });
    assert.deepEqual(added.map((m) => m.seq), [3]);
    assert.deepEqual(updated.map((m) => m.seq), [2]);
    assert.equal(text(t, 2), "edited");
    const again = mergeMessages(t, [msg(2, { text: "older", change: 1 })], { roomId: ROOM });
    assert.deepEqual(again.updated, []);
    assert.equal(text(t, 2), "edited");
  });

  test("syncChangedOf reads one room's list", () => {
    assert.deepEqual(syncChangedOf({ changed: { 1: [msg(1)] } }, 1).length, 1);
    assert.deepEqual(syncChangedOf({ changed: { 1: "x" } }, 1), []);
    assert.deepEqual(syncChangedOf({}, 1), []);
    assert.deepEqual(syncChangedOf(null, 1), []);
  });
});

describe("message fields", () => {
  test("a full message keeps its reply, quote, marks and reactions", () => {
    const m = normaliseMessage(msg(5, {
      replyTo: 2, editedAt: 9, change: 3,
      quote: { seq: 2, author: { id: 1, name: "a" }, text: "q", deleted: false },
      reactions: [{ emoji: "👍", count: 2, users: [{ id: 1, name: "a" }] }],
    }));
    assert.equal(m.replyTo, 2);
    assert.deepEqual(m.quote, { seq: 2, author: { id: 1, name: "a" }, text: "q", deleted: false });
    assert.equal(m.editedAt, 9);
    assert.equal(m.deleted, false);
    assert.equal(m.change, 3);
    assert.deepEqual(m.reactions, [{ emoji: "👍", count: 2, users: [{ id: 1, name: "a" }] }]);
  });

  test("mentions: user ids and the whole room (optional fields)", () => {
    const m = normaliseMessage(msg(6, { mentions: [4, "5", null, "x"], mentionsRoom: true }));
    assert.deepEqual(m.mentions, [4, 5]);
    assert.equal(m.mentionsRoom, true);
  });

  test("attachments: the server's own route only, sizes checked, at most 4", () => {
    const id = "q3T0abcdefghijklmnop_A";
    const good = { id, url: `/api/attachments/${id}`, thumbUrl: `/api/attachments/${id}/thumb`, width: 800, height: 600, thumbWidth: 400, thumbHeight: 300, bytes: 1, type: "image/webp" };
    const m = normaliseMessage(msg(7, { attachments: [good] }));
    assert.deepEqual(m.attachments, [{ id, url: good.url, thumbUrl: good.thumbUrl, width: 800, height: 600, thumbWidth: 400, thumbHeight: 300 }]);
    for (const bad of [
      { ...good, url: "https://evil.example/x.png" },
      { ...good, thumbUrl: "javascript:alert(1)" },
      { ...good, url: "/api/attachments/../../api/me" },
      { ...good, url: "//evil.example/api/attachments/abcdefghijklmnop" },
      { ...good, width: 0 },
      { ...good, thumbHeight: "300" },
      { ...good, id: 5 },
      null,
    ]) assert.deepEqual(normaliseAttachments([bad]), [], JSON.stringify(bad));
    assert.equal(normaliseAttachments(Array(6).fill(good)).length, 4);
    assert.deepEqual(normaliseAttachments("x"), []);
  });

  test("missing or malformed fields get safe defaults", () => {
    assert.deepEqual(normaliseExtras({}), { replyTo: null, quote: null, editedAt: null, deleted: false, change: 0, reactions: [], mentions: [], mentionsRoom: false, attachments: [] });
    assert.deepEqual(normaliseExtras({ replyTo: -1, editedAt: "x", deleted: "yes", change: 1.5, reactions: {}, mentions: "3", mentionsRoom: 1 }),
      { replyTo: null, quote: null, editedAt: null, deleted: false, change: 0, reactions: [], mentions: [], mentionsRoom: false, attachments: [] });
    assert.equal(normaliseQuote({ seq: 0 }), null);
    assert.deepEqual(normaliseQuote({ seq: 3, text: "gone", deleted: true }), { seq: 3, author: { id: null, name: "?" }, text: "", deleted: true });
    assert.deepEqual(normaliseReactions([null, { emoji: "" , count: 1 }, { emoji: "x", count: 0 }, { emoji: "👍", count: "2", users: [null, { id: 1, name: "a" }] }]),
      [{ emoji: "👍", count: 2, users: [{ id: 1, name: "a" }] }]);
  });
});
