// Bounded waits, the only ones the node test suites use. Every wait has a deadline, so a hang
// fails the test that caused it (with what it waited for) instead of stalling the whole run.
import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

/**
 * Waits until `predicate()` returns a truthy value and returns that value.
 *
 * - `predicate` may be sync or async; it is called at once, then every `every` ms.
 * - An exception thrown by `predicate` is NOT "not yet": it ends the wait and propagates (a
 *   predicate that wants to retry on errors catches them itself, as tests/browser's waitFor does).
 * - After `ms` it is called one last time; if that is still falsy the wait rejects with
 *   "timed out after <ms> ms waiting for <what>". `what` may be a function, called only then, so
 *   the message can describe the state at the deadline.
 */
export async function until(predicate, ms = 3000, what = "condition", { every = 10 } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const expired = Date.now() > deadline;
    const value = await predicate();
    if (value) return value;
    if (expired) {
      const detail = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${ms} ms waiting for ${detail}`);
    }
    await sleep(every);
  }
}

/** The promise's own outcome, or a rejection "timed out after <ms> ms: <what>" after `ms`. */
export function within(promise, ms, what = "operation") {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with the arguments (an array) of the next `event` on `emitter` (a node EventEmitter
 * or a socket.io-client socket); rejects after `ms`.
 */
export function once(emitter, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const off = (emitter.off || emitter.removeListener).bind(emitter);
    const timer = setTimeout(() => {
      off(event, handler);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    function handler(...args) {
      clearTimeout(timer);
      off(event, handler);
      resolve(args);
    }
    emitter.on(event, handler);
  });
}
