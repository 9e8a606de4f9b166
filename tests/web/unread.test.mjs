// Unit tests of web/unread.js: unread counts from the server's read position, mention badges,
// what room:read sends. No server, no browser.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mentionBadge, mentionsMe, pruneSeqs, readTarget, unreadAfter } from "../../web/unread.js";

describe("unreadAfter", () => {
  test("messages after readSeq, own ones excepted", () => {
    assert.equal(unreadAfter({ lastSeq: 10, readSeq: 7 }), 3);
    assert.equal(unreadAfter({ lastSeq: 10, readSeq: 7, ownSeqs: new Set([8, 10]) }), 1);
    assert.equal(unreadAfter({ lastSeq: 10, readSeq: 7, ownSeqs: [3, 11] }), 3, "own seqs outside the range do not count");
  });
  test("nothing unread at or past the newest message", () => {
    assert.equal(unreadAfter({ lastSeq: 5, readSeq: 5 }), 0);
    assert.equal(unreadAfter({ lastSeq: 5, readSeq: 9 }), 0);
    assert.equal(unreadAfter({}), 0);
  });
});

test("pruneSeqs drops what is read", () => {
  const s = new Set([1, 4, 5, 9]);
  pruneSeqs(s, 5);
  assert.deepEqual([...s], [9]);
});

describe("mentionsMe", () => {
  test("by id, by @room, never a deleted message", () => {
    assert.equal(mentionsMe({ mentions: [3, 4] }, 4), true);
    assert.equal(mentionsMe({ mentions: [3] }, 4), false);
    assert.equal(mentionsMe({ mentions: [], mentionsRoom: true }, 4), true);
    assert.equal(mentionsMe({ mentions: [4], deleted: true }, 4), false);
    assert.equal(mentionsMe({}, 4), false, "servers without mentions send neither field");
    assert.equal(mentionsMe({ mentions: [4] }, null), false);
  });
});

test("mentionBadge: the server's count plus live unread mentions", () => {
  assert.equal(mentionBadge({ mentionCount: 2, mentionSeqs: new Set([11, 12]), readSeq: 11 }), 3);
  assert.equal(mentionBadge({ mentionCount: 0, mentionSeqs: [], readSeq: 0 }), 0);
  assert.equal(mentionBadge({}), 0);
});

describe("readTarget", () => {
  test("the newest visible seq when it moves forward", () => {
    assert.equal(readTarget(4, [2, 7, 5]), 7);
    assert.equal(readTarget(0, new Set([1])), 1);
  });
  test("never back, nothing without a visible message", () => {
    assert.equal(readTarget(9, [2, 7]), null);
    assert.equal(readTarget(7, [7]), null);
    assert.equal(readTarget(3, []), null);
  });
});
