/*
 * search-highlight.js — the words of a search found in a result's text, as segments to render
 * (`<mark>` for a match, Text nodes otherwise; never HTML). PURE: importable from Node
 * (tests/web/search-highlight.test.mjs).
 *
 * The server's search (docs/CHAT_PROTOCOL.md `search`) matches whole words, any case, where a
 * word is letters and digits and everything else separates them. The same rule here, so what is
 * emphasised is what was found.
 *
 * API
 *   searchWords(query) -> string[]           the query's words, lower-cased, once each
 *   highlightSegments(text, words) -> [{ text, match }]
 */

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

export function searchWords(query) {
  const out = [];
  for (const w of String(query || '').matchAll(WORD)) {
    const lw = w[0].toLocaleLowerCase();
    if (!out.includes(lw)) out.push(lw);
  }
  return out;
}

/** Splits `text` into non-empty segments; whole words equal (any case) to one of `words` match. */
export function highlightSegments(text, words) {
  const set = new Set(words.map((w) => w.toLocaleLowerCase()));
  const segs = [];
  let last = 0;
  const push = (t, match) => {
    if (!t) return;
    const prev = segs[segs.length - 1];
    if (prev && prev.match === match) prev.text += t; else segs.push({ text: t, match });
  };
  for (const w of text.matchAll(WORD)) {
    if (!set.has(w[0].toLocaleLowerCase())) continue;
    push(text.slice(last, w.index), false);
    push(w[0], true);
    last = w.index + w[0].length;
  }
  push(text.slice(last), false);
  return segs;
}
