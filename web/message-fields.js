/*
 * message-fields.js — checks and copies of the parts of a server Message that issue #13 added
 * (docs/CHAT_PROTOCOL.md, "Shapes"): the quote of a reply, reactions, edit and delete marks, the
 * change number, the mentions, the image attachments. PURE: no DOM, no socket; importable from Node. timeline.js's normaliseMessage
 * uses these, so a malformed field never reaches the renderers.
 */
import { isObj, toId } from './values.js';

/** A positive integer (seq, change), or null. */
export function toPositive(v) {
  const n = toId(v);
  return n !== null && Number.isSafeInteger(n) && n >= 1 ? n : null;
}

function toUser(u) {
  const user = isObj(u) ? u : {};
  return { id: toId(user.id), name: typeof user.name === 'string' ? user.name : '?' };
}

/** A reply's Quote {seq, author, text, deleted}, or null when absent or malformed. */
export function normaliseQuote(q) {
  if (!isObj(q)) return null;
  const seq = toPositive(q.seq);
  if (seq === null) return null;
  const deleted = q.deleted === true;
  return { seq, author: toUser(q.author), text: !deleted && typeof q.text === 'string' ? q.text : '', deleted };
}

/** Reactions [{emoji, count, users}], dropping malformed entries; [] when absent. */
export function normaliseReactions(list) {
  if (!Array.isArray(list)) return [];
  const out = [];
  for (const r of list) {
    if (!isObj(r) || typeof r.emoji !== 'string' || r.emoji === '') continue;
    const count = toPositive(r.count);
    if (count === null) continue;
    const users = Array.isArray(r.users) ? r.users.filter(isObj).map(toUser) : [];
    out.push({ emoji: r.emoji, count, users });
  }
  return out;
}

/** A positive pixel size, or null. */
function toSize(v) {
  return Number.isSafeInteger(v) && v > 0 && v <= 100000 ? v : null;
}

// Only the server's own attachment route: a URL in a message never points anywhere else.
const ATTACHMENT_URL = /^\/api\/attachments\/[A-Za-z0-9_-]{16,64}(\/thumb)?$/;

/** Image attachments [{id, url, thumbUrl, width, height, thumbWidth, thumbHeight}]; [] when absent. */
export function normaliseAttachments(list) {
  if (!Array.isArray(list)) return [];
  const out = [];
  for (const a of list) {
    if (!isObj(a) || typeof a.id !== 'string' || typeof a.url !== 'string' || typeof a.thumbUrl !== 'string') continue;
    if (!ATTACHMENT_URL.test(a.url) || !ATTACHMENT_URL.test(a.thumbUrl)) continue;
    const width = toSize(a.width);
    const height = toSize(a.height);
    const thumbWidth = toSize(a.thumbWidth);
    const thumbHeight = toSize(a.thumbHeight);
    if (width === null || height === null || thumbWidth === null || thumbHeight === null) continue;
    out.push({ id: a.id, url: a.url, thumbUrl: a.thumbUrl, width, height, thumbWidth, thumbHeight });
  }
  return out.slice(0, 4);
}

/** The fields of a Message beyond id, room, seq, author, text, time and clientId. */
export function normaliseExtras(m) {
  return {
    replyTo: toPositive(m.replyTo),
    quote: normaliseQuote(m.quote),
    editedAt: typeof m.editedAt === 'number' && Number.isFinite(m.editedAt) ? m.editedAt : null,
    deleted: m.deleted === true,
    change: toPositive(m.change) ?? 0,
    reactions: normaliseReactions(m.reactions),
    // Mentions (issue #13, optional: servers before them send neither field).
    mentions: Array.isArray(m.mentions) ? m.mentions.map(toId).filter((id) => id !== null) : [],
    mentionsRoom: m.mentionsRoom === true,
    attachments: normaliseAttachments(m.attachments),
  };
}
