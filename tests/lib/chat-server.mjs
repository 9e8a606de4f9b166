// chatd in chat mode on SQLite in a data directory of its own, and the node:test wiring the
// single-server suites (scenario, hostile, image, browser) share: one server per file, every
// client closed and the server checked after each test, a clean exit asserted after the file,
// and the server's log of a failing test appended to its error.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";
import { closeAllClients } from "./chat-client.mjs";
import { Chatd, tail } from "./chatd.mjs";
import { sleep } from "./wait.mjs";

/**
 * Every test signs all its users up from one address (127.0.0.1), within seconds: the per-client
 * sign-in and sign-up budgets meant for one person are lifted for test servers. Tests of those
 * limits pass their own values after these (later flags win).
 */
export const TEST_POPULATION_ARGS = [
  "--sign-ins-per-minute", "100000",
  "--sign-ups-per-hour", "100000",
  "--sign-ups-per-minute-total", "100000",
];

/**
 * A Chatd in chat mode: database `dir`/data/chat.db, uploads in `dir`/data/blobs/uploads (nested,
 * so that a "../../x" escaping it still lands inside `dir`, where a test can look for it), a
 * stub web UI in `dir`/web unless `webDir` is given. Options: `args` (extra flags, after the
 * defaults: later flags win), `defaultLimits` (without TEST_POPULATION_ARGS: chatd's real
 * sign-in budgets), `logLevel` (default debug), and any Chatd option (`prefix`, `env`, `port`...).
 */
export class ChatServer extends Chatd {
  constructor({ args = [], defaultLimits = false, webDir, logLevel = "debug", dirPrefix = "chatd-chat-", ...options } = {}) {
    super({ ...options, dirPrefix, args: () => this.chatArgs() });
    this.extraArgs = args;
    this.defaultLimits = defaultLimits;
    this.logLevel = logLevel;
    this.uploadDir = path.join(this.dir, "data", "blobs", "uploads");
    this.dbPath = path.join(this.dir, "data", "chat.db");
    this.webDir = webDir ?? path.join(this.dir, "web");
    mkdirSync(path.dirname(this.uploadDir), { recursive: true });
    if (!webDir) {
      mkdirSync(this.webDir, { recursive: true });
      writeFileSync(path.join(this.webDir, "index.html"), "<!doctype html><title>chat</title>\n");
    }
  }

  chatArgs() {
    return [
      "--host", this.host,
      "--port", String(this.port),
      "--database-url", `sqlite:${this.dbPath}`,
      "--upload-dir", this.uploadDir,
      "--web-dir", this.webDir,
      "--log-level", this.logLevel,
      ...(this.defaultLimits ? [] : TEST_POPULATION_ARGS),
      ...this.extraArgs,
    ];
  }
}

/** Appends `title` and `log` to an error's message and stack (a frozen error is left as is). */
export function appendLog(e, title, log) {
  if (!e || typeof e !== "object" || typeof e.message !== "string") return;
  const extra = `\n--- ${title} ---\n${log || "(nothing)"}\n--- end of ${title} ---`;
  try {
    e.message += extra;
    if (typeof e.stack === "string") e.stack += extra;
  } catch {
    // a frozen error: rethrown as is
  }
}

/**
 * Per-file fixture: one ChatServer (options as its constructor's) started before the file's
 * tests, then `setup(server)` if given; after each test every ChatClient is closed (and
 * `afterEachTest()` run) and the server checked (alive, sanitizer-clean); after the file the
 * server is stopped (clean exit asserted) and its files removed (kept with CHAT_TEST_KEEP=1 or
 * when the stop failed). Returns {server}, set once the server is up.
 */
export function useChatServer({ setup, afterEachTest, ...options } = {}) {
  const fx = { server: null };
  before(async () => {
    fx.server = new ChatServer(options);
    await fx.server.start();
    // Runs in the same hook: a second top-level before() may start before this one finishes.
    if (setup) await setup(fx.server);
  });
  afterEach(async () => {
    closeAllClients();
    await afterEachTest?.();
    await sleep(30); // let the server process the disconnects, so a crash shows up in this test
    fx.server?.assertClean();
  });
  after(async () => {
    closeAllClients();
    if (!fx.server) return;
    await fx.server.stop();
    if (!process.env.CHAT_TEST_KEEP && !process.env.SCENARIO_KEEP) fx.server.removeFiles();
  });
  return fx;
}

/** test() that appends what the fixture's server logged while it ran to a failure. */
export function serverTest(fx, name, fn, options = {}) {
  test(name, options, async (t) => {
    const mark = fx.server ? fx.server.mark() : 0;
    try {
      await fn(t);
    } catch (e) {
      await sleep(150); // the server's log lines about the failure may still be in the pipe
      appendLog(e, "chatd log during this test", tail(fx.server ? fx.server.logSince(mark) : "", 6000));
      throw e;
    }
  });
}
