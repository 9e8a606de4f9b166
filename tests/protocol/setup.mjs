// The protocol suite's setup: a chatd in conformance mode (the Socket.IO test server of
// docs/CONFORMANCE, no accounts) per file, and plain socket.io-client sockets to it. Starting,
// checking and stopping chatd is tests/lib/chatd.mjs; bounded waits are tests/lib/wait.mjs.
import { after, afterEach, before } from "node:test";
import { io } from "socket.io-client";
import { Chatd } from "../lib/chatd.mjs";
import { once, sleep, within } from "../lib/wait.mjs";

/**
 * Starts `chatd --conformance --port <free port> --host 127.0.0.1 ...extraArgs` (environment:
 * chatdEnv() plus `env`) and waits until GET /healthz answers.
 */
export async function startServer(extraArgs = [], { readyTimeoutMs = 15000, env = {} } = {}) {
  const server = new Chatd({
    args: (c) => ["--conformance", "--port", String(c.port), "--host", c.host, ...extraArgs],
    env,
    readyTimeoutMs,
    dirPrefix: "chatd-protocol-",
  });
  return await server.start();
}

/** Records every occurrence of `event` on `emitter` (arguments arrays) into the returned array. */
export function record(emitter, event) {
  const seen = [];
  emitter.on(event, (...args) => {
    // Drop a trailing ack callback, if any, so the recorded args compare as plain data.
    if (args.length && typeof args[args.length - 1] === "function") args = args.slice(0, -1);
    seen.push(args);
  });
  return seen;
}

// ---------------------------------------------------------------------------------------------
// socket.io-client sockets

/** Options every test socket uses unless overridden: own engine, fast reconnects. */
export const CLIENT_DEFAULTS = {
  forceNew: true,
  reconnectionDelay: 100,
  reconnectionDelayMax: 300,
  timeout: 5000,
};

const openSockets = new Set();

/**
 * Creates a socket.io-client socket to `server` (namespace `nsp`) and waits until it is connected.
 * The first `auth` event the server sends on connect is captured in `socket.authEvent` (a promise
 * of its args). Every socket made here is closed by closeAll().
 */
export async function connect(server, { nsp = "/", ms = 5000, onCreate, ...opts } = {}) {
  const socket = io(server.url + nsp, { ...CLIENT_DEFAULTS, ...opts });
  openSockets.add(socket);
  if (onCreate) onCreate(socket); // before any event: attach listeners here
  socket.authEvent = once(socket, "auth", ms);
  socket.authEvent.catch(() => {}); // inspected only by tests that care
  await within(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
    }),
    ms,
    `connecting to ${nsp} with ${JSON.stringify(opts.transports || "default transports")}`,
  );
  return socket;
}

/** Tracks a socket or manager made outside connect() so closeAll() closes it. */
export function track(socketOrManager) {
  openSockets.add(socketOrManager);
  return socketOrManager;
}

/** Closes every client socket/manager created through connect() or track(). */
export function closeAll() {
  for (const s of openSockets) {
    try {
      if (typeof s.disconnect === "function") s.disconnect();
      if (s.io && typeof s.io._close === "function") s.io._close();
      if (typeof s._close === "function") s._close();
    } catch {
      // already closed
    }
  }
  openSockets.clear();
}

// ---------------------------------------------------------------------------------------------
// Per-file fixture

/**
 * Registers node:test hooks for a test file: starts one conformance chatd (with `extraArgs`)
 * before the file's tests, closes every socket and checks the server is alive and sanitizer-clean
 * after each test, and stops the server (asserting a clean exit) after the file. Returns an
 * object whose `server` field is set once the server is up.
 */
export function useServer(extraArgs = [], options = {}) {
  const fixture = { server: null };
  before(async () => {
    fixture.server = await startServer(extraArgs, options);
  });
  afterEach(async () => {
    closeAll();
    // Give the server a moment to process the disconnects, so a crash shows up in this test.
    await sleep(20);
    fixture.server?.assertClean();
  });
  after(async () => {
    closeAll();
    await fixture.server?.stop();
    fixture.server?.removeFiles();
  });
  return fixture;
}
