// Unit tests of web/values.js: the checks applied to values from the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isObj, toId, validTime, validUser, validRoom } from "../../web/values.js";

test("toId accepts numbers and numeric strings only", () => {
  assert.equal(toId(3), 3);
  assert.equal(toId("12"), 12);
  for (const v of [null, undefined, true, false, "", "  ", "x", NaN, Infinity, {}, []]) assert.equal(toId(v), null, String(v));
});

test("isObj, validUser, validRoom", () => {
  assert.equal(isObj({}), true);
  assert.equal(isObj([]), false);
  assert.equal(isObj(null), false);
  assert.equal(validUser({ id: 1, name: "a" }), true);
  assert.equal(validUser({ id: 1 }), false);
  assert.equal(validUser({ id: null, name: "a" }), false);
  assert.equal(validRoom({ id: "4" }), true);
  assert.equal(validRoom({ name: "general" }), false);
});

test("validTime falls back to now", () => {
  assert.equal(validTime(5), 5);
  const before = Date.now();
  assert.ok(validTime("yesterday") >= before);
  assert.ok(validTime(NaN) >= before);
});
