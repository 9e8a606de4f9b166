// Shared helpers for the chat scenario tests (docs/CHAT_PROTOCOL.md): start a real chatd in chat
// mode on a fresh temporary directory, sign in over HTTP, connect socket.io-client with the
// session cookie, record every event a client receives, and wait on them with bounded timeouts.
//
// Every wait here has a deadline: a hang fails the test that caused it instead of stalling the
// run. Every server started here is checked for sanitizer reports and for a clean exit.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { after, afterEach, before, test } from "node:test";
import { io } from "socket.io-client";

export { sleep };

const here = path.dirname(fileURLToPath(import.meta.url));
const testsDir = path.resolve(here, "..");

/** The chatd under test: $CHATD (relative paths are taken from tests/), else ../build/test/chatd. */
export const CHATD = path.resolve(testsDir, process.env.CHATD || "../build/test/chatd");

/**
 * Every test signs all its users up from one address (127.0.0.1), within seconds: the per-client
 * sign-in and sign-up budgets meant for one person are lifted for test servers. Tests of those
 * limits pass their own values after these (later flags win). tests/browser uses them too.
 */
export const TEST_POPULATION_ARGS = [
  "--sign-ins-per-minute", "100000",
  "--sign-ups-per-hour", "100000",
  "--sign-ups-per-minute-total", "100000",
];

const SANITIZER_PATTERNS = ["AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer"];

// chatd reads every setting from the environment too (flags win): drop anything inherited so a
// stray DATABASE_URL or CHAT_CONFORMANCE in the caller's environment cannot change the mode.
const CHATD_ENV = [
  "HOST", "PORT", "DATABASE_URL", "UPLOAD_DIR", "LOG_LEVEL", "LOG_FORMAT",
];

function serverEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("CHAT_") || CHATD_ENV.includes(key)) delete env[key];
  return env;
}

function tail(s, n = 8000) {
  return s.length > n ? "…" + s.slice(-n) : s;
}

/** A TCP port that is free right now. */
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

/** Waits until `predicate()` is truthy (polling every 10 ms); rejects after `ms`. */
export async function until(predicate, ms = 3000, what = "condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// The server

/**
 * One chatd in chat mode with its own temporary directory (database, uploads, web dir). The
 * process can be stopped and started again on the same files (restart()); its output is kept
 * across restarts.
 */
export class ChatServer {
  /**
   * `args`: extra chatd flags (e.g. ["--log-format", "json"]); `prefix`: a command chatd runs
   * under (e.g. ["prlimit", "--nofile=128", "--"]); `defaultLimits`: without
   * TEST_POPULATION_ARGS, so with chatd's real defaults (and no flag an older chatd would refuse).
   */
  constructor({ args = [], prefix = [], defaultLimits = false } = {}) {
    this.extraArgs = args;
    this.prefix = prefix;
    this.defaultLimits = defaultLimits;
    this.dir = mkdtempSync(path.join(os.tmpdir(), "chatd-scenario-"));
    // The upload dir is nested, so that a "../../x" escaping it still lands inside this.dir,
    // where the avatar test can look for it.
    this.uploadDir = path.join(this.dir, "data", "blobs", "uploads");
    this.dbPath = path.join(this.dir, "data", "chat.db");
    this.webDir = path.join(this.dir, "web");
    mkdirSync(path.dirname(this.uploadDir), { recursive: true });
    mkdirSync(this.webDir, { recursive: true });
    writeFileSync(path.join(this.webDir, "index.html"), "<!doctype html><title>chat</title>\n");
    this.chunks = [];
    this.proc = null;
    this.port = 0;
    this.exit = null;
    this.stopping = false;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get running() {
    return this.proc !== null && this.exit === null;
  }

  /** Everything every process printed so far. */
  output() {
    return this.chunks.join("");
  }

  /** A position in the output, for logSince(). */
  mark() {
    return this.output().length;
  }

  logSince(mark) {
    return this.output().slice(mark);
  }

  async start({ readyTimeoutMs = 20000 } = {}) {
    const deadline = Date.now() + 20000;
    while (!existsSync(CHATD)) {
      if (Date.now() > deadline) throw new Error(`chatd binary not found at ${CHATD} (set CHATD)`);
      await sleep(250);
    }
    let lastError;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const args = [
        "--host", "127.0.0.1",
        "--port", String(port),
        "--database-url", `sqlite:${this.dbPath}`,
        "--upload-dir", this.uploadDir,
        "--web-dir", this.webDir,
        "--log-level", "debug",
        ...(this.defaultLimits ? [] : TEST_POPULATION_ARGS),
        ...this.extraArgs,
      ];
      this.chunks.push(`\n=== chatd ${args.join(" ")} ===\n`);
      const [command, ...commandArgs] = [...this.prefix, CHATD, ...args];
      const proc = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "pipe"], env: serverEnv() });
      this.proc = proc;
      this.port = port;
      this.exit = null;
      this.stopping = false;
      this.exited = new Promise((resolve) => {
        proc.on("exit", (code, signal) => {
          if (this.proc === proc) this.exit = { code, signal };
          resolve({ code, signal });
        });
      });
      proc.stdout.on("data", (d) => this.chunks.push(d.toString()));
      proc.stderr.on("data", (d) => this.chunks.push(d.toString()));
      const spawnError = new Promise((resolve) => proc.on("error", (e) => resolve(e)));
      const ready = await Promise.race([this.waitReady(readyTimeoutMs), spawnError]);
      if (ready === true) return this;
      lastError = ready instanceof Error ? ready : new Error(`chatd did not become ready:\n${tail(this.output(), 4000)}`);
      if (this.running) {
        proc.kill("SIGKILL");
        await this.exited;
      }
      if (!/cannot listen|address already in use/i.test(this.output())) break;
    }
    throw lastError;
  }

  async waitReady(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        const body = await res.text();
        if (res.status === 200 && JSON.parse(body).status === "ok") return true;
      } catch {
        // not up yet
      }
      await sleep(50);
    }
    return false;
  }

  /**
   * Output with the sanitizer reports a test declared harmless removed (`ignoredReports`, set by
   * the out-of-descriptors test only).
   */
  checkedOutput() {
    let out = this.output();
    for (const re of this.ignoredReports ?? []) out = out.replace(re, "");
    return out;
  }

  /** Throws when the server printed a sanitizer report or died on its own. */
  assertClean() {
    const out = this.checkedOutput();
    const hit = SANITIZER_PATTERNS.find((p) => out.includes(p));
    if (hit) throw new Error(`chatd output contains "${hit}":\n${tail(out)}`);
    if (this.proc && !this.running && !this.stopping)
      throw new Error(`chatd exited unexpectedly (code ${this.exit.code}, signal ${this.exit.signal}):\n${tail(out)}`);
  }

  /** SIGTERM; fails unless the process exits by itself with code 0 within `graceMs`, sanitizer-clean. */
  async stop({ graceMs = 5000 } = {}) {
    if (!this.proc || this.stopping) return;
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
      await sleep(50); // the last output (a LeakSanitizer report) may still be in the pipe
      if (problems.length === 0 && (this.exit.code !== 0 || this.exit.signal !== null))
        problems.push(`chatd exited with code ${this.exit.code}, signal ${this.exit.signal} after SIGTERM`);
    }
    const hit = SANITIZER_PATTERNS.find((p) => this.checkedOutput().includes(p));
    if (hit) problems.unshift(`chatd output contains "${hit}"`);
    if (problems.length) throw new Error(`${problems.join("; ")}\n--- chatd output (tail) ---\n${tail(this.output())}`);
  }

  /** Stops (asserting a clean exit) and starts again on the same database and upload dir. */
  async restart() {
    await this.stop();
    this.chunks.push("\n=== restart ===\n");
    await this.start();
  }

  removeFiles() {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

/**
 * Per-file fixture: one chatd for the file's tests (fresh temp dir), then `setup(server)` if given;
 * every client closed and the server checked after each test, the server stopped (clean exit
 * asserted) after the file.
 */
export function useChat({ setup, args } = {}) {
  const fx = { server: null };
  before(async () => {
    fx.server = new ChatServer({ args });
    await fx.server.start();
    // Runs in the same hook: a second top-level before() may start before this one finishes.
    if (setup) await setup(fx.server);
  });
  afterEach(async () => {
    closeAll();
    await sleep(30); // let the server process the disconnects, so a crash shows up in this test
    fx.server?.assertClean();
  });
  after(async () => {
    closeAll();
    if (!fx.server) return;
    let failed = false;
    try {
      await fx.server.stop();
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      if (!failed && !process.env.SCENARIO_KEEP) fx.server.removeFiles();
    }
  });
  return fx;
}

/**
 * test() that, when it fails, appends what chatd logged while it ran to the error, so a failure
 * report carries the server's side of the story.
 */
export function scenario(fx, name, fn, options = {}) {
  test(name, options, async (t) => {
    const mark = fx.server ? fx.server.mark() : 0;
    try {
      await fn(t);
    } catch (e) {
      await sleep(150); // the server's log lines about the failure may still be in the pipe
      const log = fx.server ? fx.server.logSince(mark) : "";
      if (e && typeof e === "object" && typeof e.message === "string") {
        const extra = `\n--- chatd log during this test ---\n${tail(log, 6000) || "(nothing)"}\n--- end of chatd log ---`;
        try {
          e.message += extra;
          if (typeof e.stack === "string") e.stack = `${e.stack}${extra}`;
        } catch {
          // a frozen error: rethrow as is
        }
      }
      throw e;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * One HTTP request on its own connection (node:http, no keep-alive pool, so a server closing a
 * connection never hits a later request). Returns {status, headers (with get()), buffer, text,
 * json, setCookie}. `json` sends a JSON body with Content-Type application/json; `cookie` sets
 * the Cookie header.
 */
export function request(server, method, pathname, { json, body, headers = {}, cookie, ms = 15000 } = {}) {
  const h = { ...headers };
  if (cookie) h.cookie = cookie;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["content-type"] = "application/json";
  }
  if (typeof payload === "string") payload = Buffer.from(payload, "utf8");
  if (payload !== undefined) h["content-length"] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: server.port, method, path: pathname, headers: h, agent: false },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          clearTimeout(timer);
          const buf = Buffer.concat(chunks);
          const text = buf.toString("utf8");
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const raw = res.headers;
          const headersView = {
            raw,
            get(name) {
              const v = raw[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
            },
          };
          resolve({ status: res.statusCode, headers: headersView, buffer: buf, text, json: parsed, setCookie: raw["set-cookie"] ?? [] });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${ms} ms: ${method} ${pathname}`)), ms);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${method} ${pathname}: ${e.message}`));
    });
    req.end(payload);
  });
}

/** The `chat_session=...` pair from Set-Cookie headers, or null. */
export function sessionCookie(setCookie) {
  for (const c of setCookie) {
    const m = /^chat_session=([^;]*)/.exec(c);
    if (m && m[1] !== "") return `chat_session=${m[1]}`;
  }
  return null;
}

/** POST /api/session; returns the response plus `cookie` (null when none was set). */
export async function signIn(server, name, password, extra = {}) {
  const res = await request(server, "POST", "/api/session", { json: { name, password }, ...extra });
  return { ...res, cookie: sessionCookie(res.setCookie) };
}

/** Signs in and asserts success (200 or 201); returns {user, cookie}. */
export async function account(server, name, password = `pw-${name}-secret`) {
  const res = await signIn(server, name, password);
  assert.ok(res.status === 200 || res.status === 201, `sign-in of ${name}: HTTP ${res.status} ${res.text}`);
  assert.ok(res.cookie, `sign-in of ${name} set no chat_session cookie: ${JSON.stringify(res.setCookie)}`);
  return { user: res.json.user, cookie: res.cookie, password };
}

/**
 * A raw node:http request that sends its headers first and its body only when no answer came
 * within `earlyMs` — so a server that refuses a big upload by its Content-Length answers before
 * any of the body is sent, and the answer is not lost to a connection reset.
 */
export function rawUpload(server, pathname, { headers, body, earlyMs = 500, ms = 20000 }) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(v);
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish(reject, new Error(`timed out after ${ms} ms: POST ${pathname} (${body.length} bytes)`));
    }, ms);
    const req = http.request({
      host: "127.0.0.1",
      port: server.port,
      method: "POST",
      path: pathname,
      headers: { ...headers, "content-length": String(body.length) },
    });
    let sentBody = false;
    req.on("response", (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        finish(resolve, { status: res.statusCode, headers: res.headers, text, json, sentBody });
        req.destroy();
      });
      res.on("error", (e) => finish(reject, e));
    });
    req.on("error", (e) => finish(reject, new Error(`POST ${pathname}: ${e.code || e.message} before any answer`)));
    req.flushHeaders();
    setTimeout(() => {
      if (settled) return;
      sentBody = true;
      req.end(body);
    }, earlyMs);
  });
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data and a real PNG

/** A multipart/form-data body; parts are {name, filename?, contentType?, data}. */
export function multipart(parts) {
  const boundary = `----scenario${Math.random().toString(16).slice(2)}${Date.now()}`;
  const pieces = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += "\r\n";
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    head += "\r\n";
    pieces.push(Buffer.from(head, "utf8"), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from("\r\n"));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid truecolour PNG of `size` x `size` pixels (a colour gradient, or random noise). */
export function makePng(size = 8, seed = 0, { noise = false } = {}) {
  assert.equal(crc32(Buffer.from("IEND")), 0xae426082, "crc32 self-check");
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      raw[row + 1 + x * 3] = (x * 32 + seed) & 0xff;
      raw[row + 2 + x * 3] = (y * 32 + seed * 7) & 0xff;
      raw[row + 3 + x * 3] = ((x + y) * 16 + seed * 13) & 0xff;
    }
  }
  if (noise) {
    const random = crypto.randomBytes(raw.length);
    for (let y = 0; y < size; y++) {
      const row = y * (1 + size * 3);
      random.copy(raw, row + 1, row + 1, row + 1 + size * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlib.deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Every file and directory under `dir` (relative paths, "/" separated). */
export function walk(dir, prefix = "") {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    out.push({ path: rel, dir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...walk(path.join(dir, entry.name), rel));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// socket.io clients

const openClients = new Set();

/**
 * A socket.io-client connection that records every event it receives (from before the connect,
 * so `ready` and the first `presence` are never missed).
 */
export class ChatClient {
  constructor(server, cookie, { transports, label = "client", ioOptions = {} } = {}) {
    this.label = label;
    this.events = []; // {event, args}
    const extraHeaders = cookie ? { cookie } : {};
    this.socket = io(server.url, {
      forceNew: true,
      autoConnect: false,
      reconnection: false,
      timeout: 5000,
      extraHeaders,
      ...(transports ? { transports } : {}),
      ...ioOptions,
    });
    this.socket.onAny((event, ...args) => this.events.push({ event, args }));
    openClients.add(this);
  }

  /** Connects and waits for `connect` and then `ready`; returns the ready payload. */
  async open(ms = 8000) {
    const from = this.events.length;
    await within(
      new Promise((resolve, reject) => {
        const ok = () => {
          this.socket.off("connect_error", bad);
          resolve();
        };
        const bad = (e) => {
          this.socket.off("connect", ok);
          reject(new Error(`${this.label}: connect_error ${e.message}`));
        };
        this.socket.once("connect", ok);
        this.socket.once("connect_error", bad);
        this.socket.connect();
      }),
      ms,
      `${this.label} connecting`,
    );
    this.ready = await this.waitFor("ready", () => true, { from, ms });
    return this.ready;
  }

  /** Payloads (first argument) of every recorded `event` matching `pred`, from index `from`. */
  all(event, pred = () => true, from = 0) {
    return this.events
      .slice(from)
      .filter((e) => e.event === event && pred(e.args[0]))
      .map((e) => e.args[0]);
  }

  /** Resolves with the first recorded (or future) `event` payload matching `pred`. */
  async waitFor(event, pred = () => true, { from = 0, ms = 3000 } = {}) {
    let found;
    await until(
      () => {
        for (let i = from; i < this.events.length; i++) {
          const e = this.events[i];
          if (e.event === event && pred(e.args[0])) {
            found = e.args[0];
            return true;
          }
        }
        return false;
      },
      ms,
      `${this.label}: "${event}" matching ${pred.toString().slice(0, 200)}`,
    );
    return found;
  }

  /** emit with an ack; rejects after `ms`. Returns the ack's first argument. */
  async ack(event, payload, ms = 5000) {
    return await this.socket.timeout(ms).emitWithAck(event, payload);
  }

  emit(event, payload) {
    this.socket.emit(event, payload);
  }

  /** Sends a message and asserts the ack is ok; returns the stored message. */
  async send(roomId, text, clientId) {
    const res = await this.ack("message:send", { roomId, text, clientId: clientId ?? randomClientId() });
    assert.equal(res?.ok, true, `${this.label}: message:send to ${roomId} failed: ${JSON.stringify(res)}`);
    return res.message;
  }

  /** The room of the `ready` payload with this name. */
  room(name) {
    return this.ready?.rooms?.find((r) => r.name === name && r.kind === "public");
  }

  disconnect() {
    this.socket.disconnect();
  }

  close() {
    try {
      this.socket.disconnect();
      this.socket.io.engine?.close();
    } catch {
      // already closed
    }
    openClients.delete(this);
  }
}

let clientIdCounter = 0;
export function randomClientId() {
  return `c-${process.pid}-${Date.now().toString(36)}-${++clientIdCounter}`;
}

/** Connects a recording client with `cookie` and waits for `ready`. */
export async function connectChat(server, cookie, opts = {}) {
  const client = new ChatClient(server, cookie, opts);
  await client.open();
  return client;
}

/** Tries to connect; resolves with the connect_error message (fails if it connects). */
export async function connectError(server, cookie, { transports, ms = 5000 } = {}) {
  const client = new ChatClient(server, cookie, { transports, label: "refused client" });
  try {
    return await within(
      new Promise((resolve, reject) => {
        client.socket.once("connect", () => reject(new Error("connected, but the connect should have been refused")));
        client.socket.once("connect_error", (e) => resolve(e.message));
        client.socket.connect();
      }),
      ms,
      "connect_error",
    );
  } finally {
    client.close();
  }
}

export function closeAll() {
  for (const c of [...openClients]) c.close();
  openClients.clear();
}

/** Sorted names of a presence `online` list. */
export function names(users) {
  return users.map((u) => u.name).sort();
}
