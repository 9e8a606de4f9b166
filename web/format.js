/*
 * Text shown to people: character counts, initials, avatar colours, day labels and times,
 * bidi isolation in plain text, outgoing text clean-up, links found in a message.
 * Pure: no DOM, no window; importable from Node (tests/web/format.test.mjs).
 */
import { validTime } from './values.js';

export const AVATAR_COLOURS = 10; // .av-c0 … .av-c9 in app.css

/** Length in Unicode code points (what a person would call characters, roughly). */
export function charCount(s) {
  let n = 0;
  for (const _ of s) n++; // eslint-disable-line no-unused-vars
  return n;
}

export function initialsOf(name) {
  const s = String(name || '').trim();
  if (!s) return '?';
  const parts = s.split(/[\s._\-]+/u).filter(Boolean);
  let out;
  if (parts.length >= 2) {
    out = Array.from(parts[0])[0] + Array.from(parts[1])[0];
  } else {
    out = Array.from(s).slice(0, 2).join('');
  }
  return out.toUpperCase();
}

/** A stable colour index from the name (FNV-1a over UTF-16 units). */
export function colourIndex(name) {
  let hash = 0x811c9dc5;
  const s = String(name || '');
  for (let i = 0; i < s.length; i++) {
    hash ^= s.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % AVATAR_COLOURS;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** "14:05" (the message's time) and the full date and time for its tooltip. */
export function timeText(d) { return timeFmt.format(d); }
export function fullTimeText(d) { return fullFmt.format(d); }

/** Messages of the same local day share this key. */
export function dayKey(ts) {
  const d = new Date(validTime(ts));
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** "Today", "Yesterday", or the date (with the year when it is not this year's). */
export function dayLabel(ts, now = new Date()) {
  const d = new Date(validTime(ts));
  const startOf = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diffDays = Math.round((startOf(now) - startOf(d)) / 86400000);
  if (diffDays === 0) return 'Today';
  if (diffDays === 1) return 'Yesterday';
  return d.getFullYear() === now.getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

// Bidi isolation (issue #9): a name may hold right-to-left letters or stray direction marks;
// isolated, it takes its own direction and cannot reorder the text around it.
/** A name inside plain text (notices, tooltips): FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE. */
export function isolated(name) { return `\u2068${name}\u2069`; }

/** What is sent: leading blank lines and trailing whitespace are noise; inner layout is kept. */
export function normaliseOutgoing(raw) {
  return raw.replace(/^(?:[ \t]*\r?\n)+/u, '').replace(/\s+$/u, '');
}
