/*
 * mention-query.js — the composer's @-completion as text operations (issue #13).
 * PURE: no DOM, no socket; importable from Node (tests/web/mention-query.test.mjs).
 *
 * Typing "@" and letters right after a space (or at the start) asks the server for members whose
 * name starts with them (room:members {roomId, prefix, limit}); choosing one replaces the
 * "@prefix" with "@name " — or "@[name with spaces] " when the name holds whitespace (or
 * brackets would make the plain form ambiguous: such a name is written bracketed whenever it
 * can be). "@room" mentions everyone in the room.
 *
 * API
 *   mentionQueryAt(text, caret) -> { start, prefix } | null
 *   mentionToken(name) -> "@name" | "@[name]"
 *   insertMention(text, query, name, caret) -> { text, caret }
 *   ROOM_MENTION = "room"
 */

export const ROOM_MENTION = 'room';
const MAX_PREFIX = 32; // a name has at most 32 characters

/**
 * The "@prefix" the caret is in, if any: "@" at the start or after whitespace or an opening
 * bracket/quote, then no whitespace up to the caret. `start` is the index of the "@".
 */
export function mentionQueryAt(text, caret) {
  if (typeof text !== 'string' || !(caret >= 0) || caret > text.length) return null;
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return null;
  const prefix = before.slice(at + 1);
  if (/[\s@]/u.test(prefix) || prefix.startsWith('[') || Array.from(prefix).length > MAX_PREFIX) return null;
  if (at > 0 && !/[\s(["'“‘]/u.test(before[at - 1])) return null; // an e-mail address, "a@b"
  return { start: at, prefix };
}

/** How a name is written in a message: bare when it can be, bracketed otherwise. */
export function mentionToken(name) {
  return /[\s[\]]/u.test(name) ? `@[${name.replace(/[[\]]/gu, '')}]` : `@${name}`;
}

/** Replaces the query's "@prefix" (up to the caret) with the mention and a space. */
export function insertMention(text, query, name, caret) {
  const token = `${mentionToken(name)} `;
  const end = caret ?? (query.start + 1 + query.prefix.length);
  const rest = text.slice(end).replace(/^ /u, ''); // no double space when one follows
  const out = text.slice(0, query.start) + token + rest;
  return { text: out, caret: query.start + token.length };
}
