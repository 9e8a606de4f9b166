// Helpers shared by the protocol tests: start and stop a real chatd, and bounded waits on
// socket.io-client / ws / node events, so that a hang fails a test instead of stalling the run.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { after, afterEach, before } from "node:test";
import { io } from "socket.io-client";

const here = path.dirname(fileURLToPath(import.meta.url));
const testsDir = path.resolve(here, "..");

/** The chatd binary under test: $CHATD (relative paths are taken from tests/), else ../build/test/chatd. */
export const CHATD = path.resolve(testsDir, process.env.CHATD || "../build/test/chatd");

/** Patterns in the server's output that fail the test that started it. */
const SANITIZER_PATTERNS = ["AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer"];

/** A TCP port that is free right now (bind port 0, read it, release it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForBinary(timeoutMs) {
  // The binary may be rebuilt while the tests run: wait for it to reappear for a while.
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(CHATD)) {
    if (Date.now() > deadline) throw new Error(`chatd binary not found at ${CHATD} (set CHATD)`);
    await sleep(250);
  }
}

class ChatdServer {
  constructor(proc, port, args) {
    this.proc = proc;
    this.port = port;
    this.args = args;
    this.url = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}`;
    this.chunks = [];
    this.exit = null; // { code, signal } once the process has exited
    this.stopping = false;
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    proc.stdout.on("data", (d) => this.chunks.push(d.toString()));
    proc.stderr.on("data", (d) => this.chunks.push(d.toString()));
  }

  /** Everything the server printed so far (stdout and stderr interleaved). */
  output() {
    return this.chunks.join("");
  }

  /** True while the process is running. */
  get running() {
    return this.exit === null;
  }

  /** GET /healthz once; resolves to true on 200 {"status":"ok"}. */
  async healthy() {
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      return res.status === 200 && JSON.parse(body).status === "ok";
    } catch {
      return false;
    }
  }

  async waitReady(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      if (await this.healthy()) return true;
      await sleep(50);
    }
    return false;
  }

  /** Throws when the server printed a sanitizer report or is no longer running. */
  assertClean() {
    const out = this.output();
    const hit = SANITIZER_PATTERNS.find((p) => out.includes(p));
    if (hit) throw new Error(`chatd output contains "${hit}":\n${tail(out, 8000)}`);
    if (!this.running && !this.stopping)
      throw new Error(
        `chatd exited unexpectedly (code ${this.exit.code}, signal ${this.exit.signal}):\n${tail(out, 8000)}`,
      );
  }

  /**
   * Stops the server: SIGTERM, then SIGKILL after `graceMs`. Fails (throws) when the server
   * printed a sanitizer report, died before being asked to stop, needed SIGKILL, or exited non-zero.
   */
  async stop({ graceMs = 5000 } = {}) {
    if (this.stopping) return this.exited;
    this.stopping = true;
    const problems = [];
    if (!this.running) {
      problems.push(`chatd exited on its own before stop (code ${this.exit.code}, signal ${this.exit.signal})`);
    } else {
      this.proc.kill("SIGTERM");
      const timer = setTimeout(() => {
        problems.push(`chatd did not exit within ${graceMs} ms of SIGTERM; killed`);
        this.proc.kill("SIGKILL");
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
      // Let the last output (e.g. a LeakSanitizer report) be read.
      await sleep(50);
      if (problems.length === 0 && (this.exit.code !== 0 || this.exit.signal !== null))
        problems.push(`chatd exited with code ${this.exit.code}, signal ${this.exit.signal} after SIGTERM`);
    }
    const out = this.output();
    const hit = SANITIZER_PATTERNS.find((p) => out.includes(p));
    if (hit) problems.unshift(`chatd output contains "${hit}"`);
    if (problems.length) throw new Error(`${problems.join("; ")}\n--- chatd output (tail) ---\n${tail(out, 8000)}`);
    return this.exit;
  }
}

function tail(s, n) {
  return s.length > n ? "…" + s.slice(-n) : s;
}

/**
 * Starts `chatd --conformance --host 127.0.0.1 --port <free port> ...extraArgs` and waits until
 * GET /healthz answers. Retries on another port if the chosen one was taken meanwhile.
 */
export async function startServer(extraArgs = [], { readyTimeoutMs = 15000, env = {} } = {}) {
  await waitForBinary(20000);
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = ["--conformance", "--port", String(port), "--host", "127.0.0.1", ...extraArgs];
    const proc = spawn(CHATD, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    const server = new ChatdServer(proc, port, args);
    const spawnError = new Promise((resolve) => proc.on("error", (e) => resolve(e)));
    const ready = await Promise.race([server.waitReady(readyTimeoutMs), spawnError]);
    if (ready === true) return server;
    if (ready instanceof Error) {
      lastError = ready;
    } else {
      lastError = new Error(`chatd ${args.join(" ")} did not become ready:\n${tail(server.output(), 4000)}`);
    }
    if (server.running) {
      proc.kill("SIGKILL");
      await server.exited;
    }
    if (!/cannot listen/.test(server.output())) break; // only a port race is worth a retry
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------------
// Bounded waits

/** Resolves with the first event's arguments (an array); rejects after `ms`. */
export function once(emitter, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const on = emitter.on.bind(emitter);
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
    on(event, handler);
  });
}

/** Rejects after `ms` with a clear message; otherwise the promise's own outcome. */
export function within(promise, ms, what = "operation") {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
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

/** Waits until `predicate()` is true, polling every 10 ms; rejects after `ms`. */
export async function until(predicate, ms = 3000, what = "condition") {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

export { sleep };

// ---------------------------------------------------------------------------------------------
// socket.io-client helpers

/** Options every test client uses unless overridden: own engine, fast reconnects. */
export const CLIENT_DEFAULTS = {
  forceNew: true,
  reconnectionDelay: 100,
  reconnectionDelayMax: 300,
  timeout: 5000,
};

/**
 * Creates a socket.io-client socket to `server` (namespace `nsp`) and waits until it is connected.
 * The first `auth` event the server sends on connect is captured in `socket.authEvent` (a promise
 * of its args). Every socket made here is closed by closeAll().
 */
const openSockets = new Set();
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
 * Registers node:test hooks for a test file: starts one chatd (with `extraArgs`) before the
 * file's tests, closes every client and checks the server is alive and sanitizer-clean after each
 * test, and stops the server (asserting a clean exit) after the file. Returns an object whose
 * `server` field is set once the server is up.
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
  });
  return fixture;
}
