/* Socket.IO requests with acks, on the current socket (state.socket, set up by connection.js). */
import { ERROR_TEXT, RequestError } from './errors.js';
import { state } from './state.js';
import { isObj } from './values.js';

const ACK_TIMEOUT_MS = 10000; // an ack that takes longer is treated as lost

/** Connected and past `ready` (the server knows who we are). */
export function connected() { return !!(state.socket && state.socket.connected && state.everReady); }

/** Emits an event and resolves with the ack (`ok: true`), rejects with a RequestError. */
export function request(event, payload, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = state.socket;
    if (!socket || !socket.connected) {
      reject(new RequestError('offline', ERROR_TEXT.offline));
      return;
    }
    socket.timeout(timeoutMs || ACK_TIMEOUT_MS).emit(event, payload, (err, res) => {
      if (err) {
        reject(new RequestError('timeout', ERROR_TEXT.timeout));
      } else if (!isObj(res) || res.ok !== true) {
        const code = isObj(res) && typeof res.error === 'string' ? res.error : 'bad_request';
        const serverMessage = isObj(res) && typeof res.message === 'string' ? res.message : '';
        const retryAfterMs = isObj(res) && typeof res.retryAfterMs === 'number' ? res.retryAfterMs : 0;
        reject(new RequestError(code, serverMessage || code, { serverMessage, retryAfterMs }));
      } else {
        resolve(res);
      }
    });
  });
}

/** Fire-and-forget event (typing), dropped while disconnected. */
export function emit(event, payload) {
  if (!state.socket || !state.socket.connected) return;
  state.socket.emit(event, payload);
}
