// Unit tests of web/format.js and web/errors.js: texts the UI shows, without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AVATAR_COLOURS, charCount, colourIndex, dayKey, dayLabel, initialsOf, isolated, normaliseOutgoing,
} from "../../web/format.js";
import { ERROR_TEXT, RequestError, errorText, retryAfterMs, waitText } from "../../web/errors.js";

test("charCount counts code points", () => {
  assert.equal(charCount("abc"), 3);
  assert.equal(charCount("😀x"), 2);
  assert.equal(charCount(""), 0);
});

test("initials and a stable avatar colour", () => {
  assert.equal(initialsOf("alice"), "AL");
  assert.equal(initialsOf("bob smith"), "BS");
  assert.equal(initialsOf("jean-luc.picard"), "JL");
  assert.equal(initialsOf("  "), "?");
  assert.equal(initialsOf(null), "?");
  assert.equal(initialsOf("😀z"), "😀Z");
  const c = colourIndex("alice");
  assert.equal(colourIndex("alice"), c);
  for (const name of ["", "bob", "carol", "دانا"]) {
    const i = colourIndex(name);
    assert.ok(Number.isInteger(i) && i >= 0 && i < AVATAR_COLOURS, `${name}: ${i}`);
  }
});

test("day keys and labels", () => {
  const now = new Date(2026, 5, 15, 12, 0);
  assert.equal(dayLabel(new Date(2026, 5, 15, 0, 1).getTime(), now), "Today");
  assert.equal(dayLabel(new Date(2026, 5, 14, 23, 59).getTime(), now), "Yesterday");
  assert.notEqual(dayLabel(new Date(2026, 5, 10).getTime(), now), "Yesterday");
  assert.match(dayLabel(new Date(2024, 0, 3).getTime(), now), /2024/);
  assert.equal(dayKey(new Date(2026, 5, 15, 1).getTime()), dayKey(new Date(2026, 5, 15, 23).getTime()));
  assert.notEqual(dayKey(new Date(2026, 5, 15).getTime()), dayKey(new Date(2026, 5, 16).getTime()));
});

test("isolated wraps a name in FSI … PDI", () => {
  assert.equal(isolated("אבג"), "\u2068אבג\u2069");
});

test("normaliseOutgoing trims leading blank lines and trailing space, keeps inner layout", () => {
  assert.equal(normaliseOutgoing("\n  \n  hello\n  world  \n\n"), "  hello\n  world");
  assert.equal(normaliseOutgoing("   "), "");
});

test("error texts: documented codes, the server's words where they explain more", () => {
  assert.equal(errorText("forbidden", "nope"), ERROR_TEXT.forbidden);
  assert.equal(errorText("invalid_name", "only letters"), "only letters");
  assert.equal(errorText("invalid_name", ""), ERROR_TEXT.invalid_name);
  assert.equal(errorText("weird_code", "the server says"), "the server says");
  assert.equal(errorText("weird_code", "", "fallback"), "fallback");
  assert.equal(errorText("weird_code"), "Something went wrong.");
  const e = new RequestError("rate_limited", "slow down", { serverMessage: "slow down", retryAfterMs: 500 });
  assert.equal(e.code, "rate_limited");
  assert.equal(e.retryAfterMs, 500);
  assert.equal(e.text, ERROR_TEXT.rate_limited);
  assert.ok(e instanceof Error);
});

test("Retry-After in ms: delta seconds or an HTTP date; anything else is null", () => {
  const now = Date.parse("Sat, 05 Dec 2026 20:00:00 GMT");
  assert.equal(retryAfterMs("2", now), 2000);
  assert.equal(retryAfterMs(" 0 ", now), 0);
  assert.equal(retryAfterMs("Sat, 05 Dec 2026 20:00:30 GMT", now), 30000);
  assert.equal(retryAfterMs("Sat, 05 Dec 2026 19:59:00 GMT", now), 0, "a date in the past: no wait");
  for (const v of [null, undefined, "", "soon", "-1", "1.5"]) assert.equal(retryAfterMs(v, now), null, String(v));
});

test("waits for people: seconds, then minutes, rounded up", () => {
  assert.equal(waitText(0), "1 second");
  assert.equal(waitText(1000), "1 second");
  assert.equal(waitText(1001), "2 seconds");
  assert.equal(waitText(119000), "119 seconds");
  assert.equal(waitText(3600 * 1000), "60 minutes");
});
