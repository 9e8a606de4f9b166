// The protocol suite's setup: a chatd in conformance mode (the Socket.IO test server of
// docs/CONFORMANCE, no accounts) per file, and plain socket.io-client sockets to it. Starting,
// checking and stopping chatd is tests/lib/chatd.mjs; bounded waits are tests/lib/wait.mjs.
//
// Against a server started elsewhere (scripts/conformance-cluster.sh: three replicas behind a
// round-robin HAProxy), PROTOCOL_URL=http://127.0.0.1:3000 replaces each file's own chatd:
//  - PROTOCOL_SERVER_ARGS: the extra flags that server runs with ("" by default); a file whose
//    useServer() asks for other ones fails (the script groups the files by what they ask for,
//    learned with PROTOCOL_PRINT_SERVER_ARGS=1, which prints a file's flags and exits);
//  - PROTOCOL_SERVER_LOGS (files, ':'-separated) and PROTOCOL_SERVER_PIDS (','-separated): the
//    servers' output and processes, checked after every test as a chatd of our own would be
//    (no sanitizer report, still running).
// startServer() (a test's second server with other flags) always starts a local chatd.
import { existsSync, readFileSync } from "node:fs";
import { after, afterEach, before } from "node:test";
import { io } from "socket.io-client";
import { Chatd, sanitizerReport, tail } from "../lib/chatd.mjs";
import { once, sleep, within } from "../lib/wait.mjs";

/** The marker line PROTOCOL_PRINT_SERVER_ARGS=1 prints (scripts/conformance-cluster.sh reads it). */
export const SERVER_ARGS_MARKER = "protocol-server-args:";

/** A server this suite did not start (PROTOCOL_URL): where it is, and the checks it allows. */
export class ExternalServer {
  constructor(url, { logs = [], pids = [] } = {}) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.url = `http://${u.host}`;
    this.wsUrl = `ws://${u.host}`;
    this.logs = logs;
    this.pids = pids;
    this.name = `the server at ${this.url}`;
  }

  /** Throws when a server process is gone or its output holds a sanitizer report. */
  assertClean() {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 0);
      } catch {
        throw new Error(`${this.name}: process ${pid} is gone (logs: ${this.logs.join(", ")})`);
      }
    }
    for (const log of this.logs) {
      if (!existsSync(log)) continue;
      const text = readFileSync(log, "utf8");
      const hit = sanitizerReport(text);
      if (hit) throw new Error(`${this.name}: ${log} contains "${hit}":\n${tail(text)}`);
    }
  }

  async stop() {} // started and stopped by whoever runs it

  removeFiles() {}
}

/** The external server of PROTOCOL_URL, or null when the suite starts its own. */
function externalServer() {
  if (!process.env.PROTOCOL_URL) return null;
  const list = (v, sep) => (v ?? "").split(sep).map((x) => x.trim()).filter(Boolean);
  return new ExternalServer(process.env.PROTOCOL_URL, {
    logs: list(process.env.PROTOCOL_SERVER_LOGS, ":"),
    pids: list(process.env.PROTOCOL_SERVER_PIDS, ",").map(Number),
  });
}

const words = (args) => args.map(String).join(" ");

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
  if (process.env.PROTOCOL_PRINT_SERVER_ARGS) {
    if (extraArgs.some((a) => /\s/.test(String(a)))) throw new Error(`server flags with spaces: ${JSON.stringify(extraArgs)}`);
    console.log(`${SERVER_ARGS_MARKER} ${words(extraArgs)}`);
    process.exit(0);
  }
  const fixture = { server: null };
  before(async () => {
    const external = externalServer();
    if (external) {
      const has = (process.env.PROTOCOL_SERVER_ARGS ?? "").trim().split(/\s+/).filter(Boolean);
      if (words(has) !== words(extraArgs))
        throw new Error(
          `this file needs a server with the flags "${words(extraArgs)}", but ${external.name} (PROTOCOL_URL) runs with ` +
            `"${words(has)}" (PROTOCOL_SERVER_ARGS): run it with CHATD_ARGS="${words(extraArgs)}" scripts/conformance-cluster.sh`,
        );
      external.assertClean();
      fixture.server = external;
      return;
    }
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
