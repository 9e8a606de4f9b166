// One chatd process under test, for every node suite: start it (on a free port, in a fresh data
// directory, optionally inside a network namespace or under a wrapper command), wait until it
// answers /healthz, keep everything it prints, and stop it again — failing the test when chatd
// printed a sanitizer report (ASan, UBSan, LeakSanitizer, TSan), died without being asked to, or
// did not exit cleanly (code 0) within its grace period after SIGTERM.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./net.mjs";
import { sleep, until } from "./wait.mjs";

const testsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The chatd binary under test: $CHATD (relative paths are taken from tests/), else ../build/test/chatd. */
export const CHATD = path.resolve(testsDir, process.env.CHATD || "../build/test/chatd");

/** Text in chatd's output that fails the test: a sanitizer report. */
export const SANITIZER_PATTERNS = ["AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer"];

/** The first sanitizer pattern found in `text`, or null. */
export function sanitizerReport(text) {
  return SANITIZER_PATTERNS.find((p) => text.includes(p)) ?? null;
}

// chatd reads every setting from the environment too (flags win): what the caller's environment
// holds must not change the server under test, so these are dropped from the inherited one.
const CHATD_SETTINGS = [
  "HOST", "PORT", "DATABASE_URL", "UPLOAD_DIR", "BLOB_STORE", "SCALABLE", "BROKER", "REPLICA_NAME",
  "LOG_LEVEL", "LOG_FORMAT",
];
const CHATD_SETTING_PREFIXES = ["CHAT_", "REDIS_", "NATS_", "RABBIT_"];

/** The test runner's environment without any chatd setting, plus `extra`. */
export function chatdEnv(extra = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (CHATD_SETTINGS.includes(key) || CHATD_SETTING_PREFIXES.some((p) => key.startsWith(p))) delete env[key];
  return { ...env, ...extra };
}

export function tail(s, n = 8000) {
  return s.length > n ? "…" + s.slice(-n) : s;
}

const PORT_TAKEN = /cannot listen|address already in use/i;
// Spawn errors of a binary that is being rebuilt right now: worth another try.
const BINARY_BUSY = ["ETXTBSY", "ENOENT", "EACCES"];

export class Chatd {
  /**
   * Options (all optional):
   *  - `args`, `env`: chatd's flags and environment; each a value or a function of this Chatd,
   *    called at every start (so it can use `port`, `host` and `dir`). `env` is added to
   *    chatdEnv() (the runner's environment without chatd settings).
   *  - `host` (default 127.0.0.1), `port` (default: a free port picked at each start).
   *  - `dir`: the data directory (default: a fresh temporary one, `dirPrefix`); removeFiles()
   *    deletes it.
   *  - `prefix`: a command chatd runs under, e.g. ["prlimit", "--nofile=128", "--"].
   *  - `netns`: run inside this network namespace (`ip netns exec`, which execs chatd in place:
   *    signals reach chatd itself).
   *  - `name` (in messages), `logFile` (everything chatd prints is appended to it too),
   *    `readyTimeoutMs` (default 20 s), `graceMs` (SIGTERM to exit, default 5 s), `binary`.
   */
  constructor({
    args = [], env = {}, host = "127.0.0.1", port, dir, dirPrefix = "chatd-", prefix = [], netns, name = "chatd",
    logFile, readyTimeoutMs = 20000, graceMs = 5000, binary = CHATD,
  } = {}) {
    Object.assign(this, { args, env, host, prefix, netns, name, logFile, readyTimeoutMs, graceMs, binary });
    this.fixedPort = port;
    this.port = port ?? 0;
    this.dir = dir ?? mkdtempSync(path.join(os.tmpdir(), dirPrefix));
    this.chunks = [];
    this.notes = new Set(); // indices in chunks of the harness's own lines (not checked for reports)
    this.proc = null;
    this.exit = null; // {code, signal} once the current process exited
    this.stopping = false; // stop() or kill() was asked for: an exit is expected
    this.killed = false;
    /** Sanitizer reports a test declared harmless (regexps removed from the output before checking). */
    this.ignoredReports = [];
  }

  get url() {
    return `http://${this.host}:${this.port}`;
  }

  get wsUrl() {
    return `ws://${this.host}:${this.port}`;
  }

  get running() {
    return this.proc !== null && this.exit === null;
  }

  /** Everything every process of this Chatd printed so far (stdout and stderr interleaved). */
  output() {
    return this.chunks.join("");
  }

  /** Adds a line of the harness's own to the output (never taken for a report of chatd's). */
  note(text) {
    this.notes.add(this.chunks.length);
    this.chunks.push(text);
  }

  /** A position in the output, for logSince() and waitForOutput(). */
  mark() {
    return this.output().length;
  }

  logSince(mark) {
    return this.output().slice(mark);
  }

  /**
   * Starts chatd and (unless `waitReady` is false) waits until GET /healthz answers 200
   * {"status":"ok"}. With a port of its own choosing it retries on another port when the chosen
   * one was taken meanwhile; with a fixed port (or `samePort`, a restart where clients come back
   * to the same address) it retries on that port for a while.
   */
  async start({ waitReady = true, samePort = false, readyTimeoutMs = this.readyTimeoutMs } = {}) {
    await until(() => existsSync(this.binary), 20000, `the chatd binary at ${this.binary} (set CHATD)`, { every: 250 });
    const fixed = this.fixedPort !== undefined || (samePort && this.port !== 0);
    let lastError;
    for (let attempt = 0; attempt < (fixed ? 20 : 3); attempt++) {
      if (!fixed) this.port = await freePort();
      const spawned = this.spawnOnce();
      const spawnError = new Promise((resolve) => spawned.on("error", (e) => resolve(e)));
      if (!waitReady) {
        const early = await Promise.race([spawnError, sleep(50)]);
        if (early instanceof Error) throw new Error(`cannot start ${this.binary}: ${early.message}`);
        return this;
      }
      const ready = await Promise.race([this.waitReady(readyTimeoutMs), spawnError]);
      if (ready === true) return this;
      if (ready instanceof Error) {
        lastError = new Error(`cannot start ${this.binary}: ${ready.message}`);
        if (!BINARY_BUSY.includes(ready.code)) break;
        await sleep(500);
        continue;
      }
      lastError = new Error(`${this.name} did not become ready within ${readyTimeoutMs} ms:\n${tail(this.output(), 4000)}`);
      if (this.running) await this.kill();
      if (!PORT_TAKEN.test(this.logSince(this.startMark))) break;
      await sleep(fixed ? 250 : 0);
    }
    throw lastError;
  }

  /** Spawns the process once; returns it. */
  spawnOnce() {
    const args = typeof this.args === "function" ? this.args(this) : this.args;
    const extraEnv = typeof this.env === "function" ? this.env(this) : this.env;
    const argv = [...(this.netns ? ["ip", "netns", "exec", this.netns] : []), ...this.prefix, this.binary, ...args];
    this.startMark = this.mark();
    this.note(`\n=== ${this.name} ${argv.join(" ")} (${this.host}:${this.port}) ===\n`);
    const log = this.logFile ? createWriteStream(this.logFile, { flags: "a" }) : null;
    const [command, ...commandArgs] = argv;
    const proc = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "pipe"], env: chatdEnv(extraEnv) });
    this.proc = proc;
    this.exit = null;
    this.stopping = false;
    this.killed = false;
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        if (this.proc === proc) this.exit = { code, signal };
        resolve({ code, signal });
      });
      proc.on("error", () => {
        // never started: no "exit" will come
        if (this.proc === proc) this.exit = { code: null, signal: null, error: true };
        resolve(this.exit);
      });
    });
    const keep = (d) => {
      this.chunks.push(d.toString());
      log?.write(d);
    };
    proc.stdout.on("data", keep);
    proc.stderr.on("data", keep);
    proc.on("close", () => log?.end());
    return proc;
  }

  /** GET /healthz once: true on 200 {"status":"ok"}. */
  async healthy() {
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      return res.status === 200 && JSON.parse(body).status === "ok";
    } catch {
      return false;
    }
  }

  /** Polls /healthz until it is healthy (true), the process is gone or `ms` passed (false). */
  async waitReady(ms = this.readyTimeoutMs) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      if (await this.healthy()) return true;
      await sleep(50);
    }
    return false;
  }

  /** Waits until the output from `from` on matches `pattern` (RegExp or string); returns the match. */
  async waitForOutput(pattern, { from = 0, ms = 10000 } = {}) {
    const re = typeof pattern === "string" ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : pattern;
    return await until(() => re.exec(this.logSince(from)), ms, () => `${this.name} to print ${re}:\n${tail(this.output(), 4000)}`);
  }

  /** The process's exit ({code, signal}), or null if it is still running after `ms`. */
  async waitForExit(ms) {
    if (!this.proc) throw new Error(`${this.name} was never started`);
    const exit = await Promise.race([this.exited, sleep(ms).then(() => null)]);
    if (exit) await sleep(50); // the last output (a LeakSanitizer report) may still be in the pipe
    return exit;
  }

  /** Sends `sig` to the running process (e.g. SIGTERM to test draining); marks the exit as expected. */
  signal(sig) {
    if (!this.running) throw new Error(`${this.name} is not running (exit ${JSON.stringify(this.exit)})`);
    this.stopping = true;
    this.proc.kill(sig);
  }

  /** SIGKILL and wait for the exit: no shutdown, no sanitizer exit report. */
  async kill() {
    if (!this.running) throw new Error(`${this.name} is not running (exit ${JSON.stringify(this.exit)})`);
    this.killed = true;
    this.signal("SIGKILL");
    if (!(await this.waitForExit(10000))) throw new Error(`${this.name} did not exit within 10 s of SIGKILL`);
  }

  /** The output with the reports a test declared harmless (`ignoredReports`) removed. */
  checkedOutput() {
    let out = this.chunks.filter((_, i) => !this.notes.has(i)).join("");
    for (const re of this.ignoredReports) out = out.replace(re, "");
    return out;
  }

  where() {
    return this.logFile ? ` (log: ${this.logFile})` : "";
  }

  /** Throws when chatd printed a sanitizer report or exited without being asked to. */
  assertClean() {
    const out = this.checkedOutput();
    const hit = sanitizerReport(out);
    if (hit) throw new Error(`${this.name} output contains "${hit}"${this.where()}:\n${tail(out)}`);
    if (this.proc && !this.running && !this.stopping)
      throw new Error(`${this.name} exited unexpectedly (code ${this.exit.code}, signal ${this.exit.signal})${this.where()}:\n${tail(out)}`);
  }

  /**
   * SIGTERM; throws unless chatd exits by itself with code 0 within `graceMs` (SIGKILL then) and
   * printed no sanitizer report. Does nothing when a stop or kill was already asked for.
   */
  async stop({ graceMs = this.graceMs } = {}) {
    if (!this.proc || this.stopping) return this.exit;
    const problems = [];
    if (!this.running) {
      this.stopping = true;
      problems.push(`${this.name} exited on its own before stop (code ${this.exit.code}, signal ${this.exit.signal})`);
    } else {
      this.signal("SIGTERM");
      const exit = await this.waitForExit(graceMs);
      if (!exit) {
        problems.push(`${this.name} did not exit within ${graceMs} ms of SIGTERM; killed`);
        this.proc.kill("SIGKILL");
        await this.waitForExit(10000);
      } else if (exit.code !== 0 || exit.signal !== null) {
        problems.push(`${this.name} exited with code ${exit.code}, signal ${exit.signal} after SIGTERM`);
      }
    }
    const hit = sanitizerReport(this.checkedOutput());
    if (hit) problems.unshift(`${this.name} output contains "${hit}"`);
    if (problems.length)
      throw new Error(`${problems.join("; ")}${this.where()}\n--- ${this.name} output (tail) ---\n${tail(this.output())}`);
    return this.exit;
  }

  /** Stops (asserting a clean exit) and starts again on the same data directory. */
  async restart({ samePort = false } = {}) {
    await this.stop();
    this.note("\n=== restart ===\n");
    await this.start({ samePort });
    return this;
  }

  /** Deletes the data directory (best effort). */
  removeFiles() {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}
