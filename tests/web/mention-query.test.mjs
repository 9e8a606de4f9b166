// Unit tests of web/mention-query.js: where an @-completion starts, how a chosen name is written.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { insertMention, mentionQueryAt, mentionToken } from "../../web/mention-query.js";

describe("mentionQueryAt", () => {
  test("@ and letters at the start or after a space", () => {
    assert.deepEqual(mentionQueryAt("@al", 3), { start: 0, prefix: "al" });
    assert.deepEqual(mentionQueryAt("hi @Bo", 6), { start: 3, prefix: "Bo" });
    assert.deepEqual(mentionQueryAt("hi @", 4), { start: 3, prefix: "" });
    assert.deepEqual(mentionQueryAt("hi @bo there", 6), { start: 3, prefix: "bo" }, "the caret decides");
  });
  test("no query after a space, inside a word or an e-mail address", () => {
    assert.equal(mentionQueryAt("@al ", 4), null);
    assert.equal(mentionQueryAt("mail a@b", 8), null);
    assert.equal(mentionQueryAt("no at sign", 5), null);
    assert.equal(mentionQueryAt("@[already", 9), null);
    assert.equal(mentionQueryAt("x", 5), null);
  });
});

describe("mentionToken and insertMention", () => {
  test("bare names, bracketed ones with whitespace or brackets", () => {
    assert.equal(mentionToken("alice"), "@alice");
    assert.equal(mentionToken("Mary Ann"), "@[Mary Ann]");
    assert.equal(mentionToken("a[b]"), "@[ab]");
    assert.equal(mentionToken("ゆき"), "@ゆき");
  });
  test("replaces the @prefix and puts the caret after a space", () => {
    const q = mentionQueryAt("hi @al", 6);
    assert.deepEqual(insertMention("hi @al", q, "alice", 6), { text: "hi @alice ", caret: 10 });
    const q2 = mentionQueryAt("@ma and more", 3);
    assert.deepEqual(insertMention("@ma and more", q2, "Mary Ann", 3), { text: "@[Mary Ann] and more", caret: 12 });
    const q3 = mentionQueryAt("hey @", 5);
    assert.equal(insertMention("hey @", q3, "room", 5).text, "hey @room ");
  });
});
