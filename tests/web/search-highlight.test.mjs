// Unit tests of web/search-highlight.js: the searched words found in a result's text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { highlightSegments, searchWords } from "../../web/search-highlight.js";

test("searchWords: letters and digits, lower-cased, once each", () => {
  assert.deepEqual(searchWords("Deploy, deploy the v2!"), ["deploy", "the", "v2"]);
  assert.deepEqual(searchWords("  ... "), []);
  assert.deepEqual(searchWords("Grüße 東京"), ["grüße", "東京"]);
});

test("highlightSegments: whole words, any case", () => {
  assert.deepEqual(highlightSegments("Deploy the deployment, DEPLOY!", ["deploy"]), [
    { text: "Deploy", match: true },
    { text: " the deployment, ", match: false },
    { text: "DEPLOY", match: true },
    { text: "!", match: false },
  ]);
  assert.deepEqual(highlightSegments("nothing here", ["x"]), [{ text: "nothing here", match: false }]);
  assert.deepEqual(highlightSegments("", ["x"]), []);
  assert.deepEqual(highlightSegments("<b>bold</b>", ["b"]), [
    { text: "<", match: false }, { text: "b", match: true }, { text: ">bold</", match: false }, { text: "b", match: true }, { text: ">", match: false },
  ]);
});
