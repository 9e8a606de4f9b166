/* HTTP requests to the server's JSON API (docs/CHAT_PROTOCOL.md), same-origin with the session cookie. */
import { ERROR_TEXT, RequestError } from './errors.js';

/** Resolves with { status, ok, data (parsed JSON or null), headers }; rejects only on network errors. */
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body instanceof FormData) {
    init.body = body; // the browser sets the multipart boundary
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new RequestError('network', ERROR_TEXT.network);
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && type.includes('json')) {
    try { data = await res.json(); } catch (_) { data = null; }
  }
  return { status: res.status, ok: res.ok, data, headers: res.headers };
}

/** The RequestError for a failed answer: the server's `error` code, or `fallbackCode`. */
export function httpError(r, fallbackCode) {
  const code = (r.data && typeof r.data.error === 'string' && r.data.error) || fallbackCode;
  const serverMessage = r.data && typeof r.data.message === 'string' ? r.data.message : '';
  return new RequestError(code, serverMessage || `HTTP ${r.status}`, { serverMessage, status: r.status });
}
