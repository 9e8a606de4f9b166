/*
 * Errors of requests (HTTP and socket acks) and the texts shown for them.
 * Pure: no DOM; importable from Node.
 */

// Error texts for the documented codes; the server's own message is used when it explains more.
export const ERROR_TEXT = {
  unauthorized: 'Your session has ended. Please sign in again.',
  bad_credentials: 'Wrong password for this name. (If you are new, choose another name: this one is taken.)',
  invalid_name: 'That name is not allowed.',
  invalid_password: 'That password is not allowed.',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  overloaded: 'The server is busy. Trying again shortly.',
  too_many_rooms: 'You are in too many rooms. Leave one first.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'Not found.',
  invalid_text: 'Messages must be between 1 and 4000 characters.',
  name_taken: 'That name is already taken.',
  storage_unavailable: 'The server cannot store data right now. Please try again shortly.',
  bad_request: 'The server did not accept that request.',
  too_large: 'That image is too large (the limit is 5 MiB).',
  unsupported_type: 'Unsupported image type. Please choose a PNG, JPEG, WebP or GIF image.',
  bad_upload: 'The upload could not be read. Please try another image.',
  timeout: 'The server did not answer in time.',
  offline: 'You are offline. Try again when the connection is back.',
  network: 'Cannot reach the server. Check your connection and try again.',
  edit_window_passed: 'This message can no longer be edited: messages can be changed only for a while after they are sent (15 minutes unless the server says otherwise). You can still delete it.',
  too_many_reactions: 'This message already has as many different reactions as it can hold. Use one of those.',
};
// For these codes the server's message usually carries the rules (allowed characters, lengths).
const PREFER_SERVER_MESSAGE = new Set(['invalid_name', 'invalid_password', 'invalid_text', 'bad_request', 'name_taken']);

export function errorText(code, serverMessage, fallback) {
  const msg = typeof serverMessage === 'string' && serverMessage.trim() ? serverMessage.trim() : '';
  if (msg && (PREFER_SERVER_MESSAGE.has(code) || !ERROR_TEXT[code])) return msg;
  return ERROR_TEXT[code] || msg || fallback || 'Something went wrong.';
}

/** A refused or failed request: `code` (the protocol's error code), `serverMessage`, `text`. */
export class RequestError extends Error {
  constructor(code, message, extra) {
    super(message || code);
    this.code = code;
    Object.assign(this, extra || {});
  }
  get text() { return errorText(this.code, this.serverMessage, this.message); }
}

/** An HTTP Retry-After value (delta seconds or an HTTP date) in ms, or null when absent or unreadable. */
export function retryAfterMs(value, now = Date.now()) {
  const v = String(value ?? '').trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = / GMT$/.test(v) ? Date.parse(v) : NaN; // HTTP dates are in GMT; Date.parse takes too much else
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A wait of `ms` for people: "1 second", "45 seconds", "3 minutes" (rounded up, at least 1 second). */
export function waitText(ms) {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 120) return `${s} second${s === 1 ? '' : 's'}`;
  return `${Math.ceil(s / 60)} minutes`;
}
