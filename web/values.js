/*
 * Checks and conversions of values that come from the server (JSON over HTTP or Socket.IO).
 * Pure: no DOM, no window; importable from Node.
 */

/** A plain object (not null, not an array). */
export function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

/**
 * An id as a number: a finite number, or a non-blank string holding one (object keys such as
 * sync's room ids arrive as strings); anything else (null, booleans, '') is null.
 */
export function toId(v) {
  if (typeof v === 'string' && v.trim() === '') return null;
  const n = typeof v === 'number' || typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** A timestamp in ms, or now when the value is missing or not a finite number. */
export function validTime(ts) { return typeof ts === 'number' && Number.isFinite(ts) ? ts : Date.now(); }

/** A User as the protocol describes it: at least an id and a name. */
export function validUser(u) { return isObj(u) && toId(u.id) !== null && typeof u.name === 'string'; }

/** A Room: at least an id. */
export function validRoom(r) { return isObj(r) && toId(r.id) !== null; }
