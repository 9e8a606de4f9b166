// Helpers for the browser end-to-end tests: a real chatd serving the web UI (one per test file,
// fresh database and upload dir), Debian's chromium driven by playwright-core, bounded polling
// waits, and screenshots of every open page when a test fails.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, test } from "node:test";
import { chromium } from "playwright-core";
import { TEST_POPULATION_ARGS } from "../scenario/helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const testsDir = path.resolve(here, "..");
const repoDir = path.resolve(testsDir, "..");

/** The chatd binary under test: $CHATD (relative paths from tests/), else ../build/test/chatd. */
export const CHATD = path.resolve(testsDir, process.env.CHATD || "../build/test/chatd");
/** The web UI chatd serves: $CHAT_WEB_DIR, else build/test/web. */
export const WEB_DIR = path.resolve(testsDir, process.env.CHAT_WEB_DIR || "../build/test/web");
export const ARTIFACTS_DIR = path.join(repoDir, "test-artifacts", "browser");

/** Longest single wait (the brief: at most 15 s per wait). */
export const WAIT_MS = 15000;

const SANITIZER_PATTERNS = ["AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer"];

export { sleep };

// ---------------------------------------------------------------------------------------------
// Bounded waits

/**
 * Polls `fn` (sync or async) every 50 ms until it returns a truthy value, which is returned.
 * Exceptions thrown by `fn` count as "not yet". After `timeout` ms throws an error naming
 * `what` and the last value / error seen.
 */
export async function waitFor(fn, { timeout = WAIT_MS, what = "condition" } = {}) {
  const deadline = Date.now() + Math.min(timeout, WAIT_MS);
  let last;
  let lastError;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (last) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${detail})`);
    }
    await sleep(50);
  }
}

/** Waits until `locator` (first match) is visible. */
export async function waitVisible(locator, what, timeout = WAIT_MS) {
  try {
    await locator.first().waitFor({ state: "visible", timeout });
  } catch (e) {
    throw new Error(`${what || locator} did not become visible within ${timeout} ms: ${e.message.split("\n")[0]}`);
  }
}

/** Waits until `locator` (first match) is hidden or gone. */
export async function waitHidden(locator, what, timeout = WAIT_MS) {
  try {
    await locator.first().waitFor({ state: "hidden", timeout });
  } catch (e) {
    throw new Error(`${what || locator} did not become hidden within ${timeout} ms: ${e.message.split("\n")[0]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// chatd

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

function tail(s, n) {
  return s.length > n ? "…" + s.slice(-n) : s;
}

class Chatd {
  constructor(proc, port, dir) {
    this.proc = proc;
    this.port = port;
    this.dir = dir;
    this.url = `http://127.0.0.1:${port}`;
    this.chunks = [];
    this.exit = null;
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

  output() {
    return this.chunks.join("");
  }

  get running() {
    return this.exit === null;
  }

  async healthy() {
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Throws when chatd printed a sanitizer report or died without being asked to. */
  assertClean() {
    const out = this.output();
    const hit = SANITIZER_PATTERNS.find((p) => out.includes(p));
    if (hit) throw new Error(`chatd output contains "${hit}":\n${tail(out, 8000)}`);
    if (!this.running && !this.stopping)
      throw new Error(`chatd exited unexpectedly (code ${this.exit.code}, signal ${this.exit.signal}):\n${tail(out, 8000)}`);
  }

  /** SIGTERM, SIGKILL after `graceMs`; throws on a sanitizer report, SIGKILL or a non-zero exit. */
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
      await sleep(50); // let the last output (e.g. a LeakSanitizer report) arrive
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

/**
 * Starts chatd on `port` (default: a free one) with its database and uploads in `dir`
 * (default: a fresh temporary directory) and waits for GET /healthz 200. With a fixed port
 * (a restart), retries for a while if the port is still taken.
 */
export async function startChatd({ port, dir, readyTimeoutMs = 15000, args: extraArgs = [] } = {}) {
  // The binary may be being rebuilt by someone else right now: wait a while for it.
  await waitFor(() => existsSync(CHATD), { what: `chatd binary at ${CHATD} (set CHATD)` });
  if (!existsSync(path.join(WEB_DIR, "index.html"))) throw new Error(`no web UI in ${WEB_DIR} (set CHAT_WEB_DIR)`);
  dir = dir || (await mkdtemp(path.join(os.tmpdir(), "chatd-browser-")));
  const fixedPort = port !== undefined;
  let lastError;
  for (let attempt = 0; attempt < 20; attempt++) {
    const p = fixedPort ? port : await freePort();
    const args = [
      "--host", "127.0.0.1",
      "--port", String(p),
      "--database-url", `sqlite:${path.join(dir, "chat.db")}`,
      "--upload-dir", path.join(dir, "uploads"),
      "--log-level", "info",
      ...TEST_POPULATION_ARGS,
      ...extraArgs,
    ];
    const proc = spawn(CHATD, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CHAT_WEB_DIR: WEB_DIR },
    });
    const server = new Chatd(proc, p, dir);
    const spawnError = new Promise((resolve) => proc.on("error", (e) => resolve(e)));
    const ready = (async () => {
      const deadline = Date.now() + readyTimeoutMs;
      while (Date.now() < deadline) {
        if (!server.running) return false;
        if (await server.healthy()) return true;
        await sleep(50);
      }
      return false;
    })();
    const ok = await Promise.race([ready, spawnError]);
    if (ok === true) return server;
    if (ok instanceof Error) {
      // Not started at all (no 'exit' will come): e.g. ETXTBSY / ENOENT while the binary is
      // being rebuilt. Let the ready poll end, then try again.
      lastError = new Error(`cannot start ${CHATD}: ${ok.message}`);
      await ready;
      if (!["ETXTBSY", "ENOENT", "EACCES"].includes(ok.code)) break;
      await sleep(500);
      continue;
    }
    lastError = new Error(`chatd ${args.join(" ")} did not become ready:\n${tail(server.output(), 4000)}`);
    if (server.running) {
      proc.kill("SIGKILL");
      await server.exited;
    }
    const portTaken = /cannot listen|address already in use|bind/i.test(server.output());
    if (!portTaken || attempt >= (fixedPort ? 19 : 2)) break;
    await sleep(250);
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------------
// Browser

const LAUNCH_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export async function launchBrowser() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: LAUNCH_ARGS, timeout: WAIT_MS });
}

/**
 * Per-file fixture: starts chatd and chromium before the file's tests, closes every browser
 * context opened by a test after it, checks chatd is sanitizer-clean after each test, and stops
 * both after the file. `fx.server` may be replaced (restart test); `fx.restart()` does that.
 */
/** `args`: extra chatd flags for this file's server. */
export function useChat({ args = [] } = {}) {
  const fx = {
    server: null,
    browser: null,
    dir: null,
    /** Open pages of the current test: [{ user, page, context, errors }] */
    users: [],
    get url() {
      return this.server.url;
    },
    /** A new browser context + page for `user` (viewport options optional), registered for screenshots. */
    async newUser(user, contextOptions = {}) {
      const context = await fx.browser.newContext(contextOptions);
      context.setDefaultTimeout(WAIT_MS);
      const page = await context.newPage();
      const entry = { user, page, context, errors: [], console: [] };
      page.on("pageerror", (e) => entry.errors.push(String(e && e.stack ? e.stack : e)));
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") entry.console.push(`${m.type()}: ${m.text()}`);
      });
      fx.users.push(entry);
      return page;
    },
    /** Stops chatd (checking a clean exit) and starts a new one on the same port, DB and uploads. */
    async stopServer() {
      await fx.server.stop();
    },
    async startServerAgain() {
      fx.server = await startChatd({ port: fx.server.port, dir: fx.dir, args });
      return fx.server;
    },
    /** Uncaught exceptions in any page of this test. */
    pageErrors() {
      return fx.users.flatMap((u) => u.errors.map((e) => `[${u.user}] ${e}`));
    },
  };

  before(async () => {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fx.server = await startChatd({ args });
    fx.dir = fx.server.dir;
    fx.browser = await launchBrowser();
  });

  afterEach(async () => {
    const users = fx.users;
    fx.users = [];
    for (const u of users) await u.context.close().catch(() => {});
    await sleep(50); // let chatd process the disconnects, so a crash shows up in this test
    fx.server?.assertClean();
  });

  after(async () => {
    await fx.browser?.close().catch(() => {});
    try {
      await fx.server?.stop();
    } finally {
      if (fx.dir) await rm(fx.dir, { recursive: true, force: true }).catch(() => {});
    }
  });

  return fx;
}

function slug(s) {
  return s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);
}

/** Screenshots every open page of the current test into test-artifacts/browser/. */
export async function screenshotAll(fx, testName) {
  const paths = [];
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  for (const u of fx.users) {
    if (u.page.isClosed()) continue;
    const file = path.join(ARTIFACTS_DIR, `${slug(testName)}-${slug(u.user)}.png`);
    try {
      await u.page.screenshot({ path: file, fullPage: true, timeout: 5000 });
      paths.push(file);
      console.log(`screenshot: ${file}`);
    } catch (e) {
      console.log(`screenshot of ${u.user} failed: ${e.message.split("\n")[0]}`);
    }
  }
  return paths;
}

/**
 * A node:test test that, on failure, saves a screenshot of each open page and prints the
 * pages' uncaught errors / console errors and the tail of chatd's output.
 */
export function browserTest(fx, name, fn, options = {}) {
  test(name, { timeout: 90000, ...options }, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      await screenshotAll(fx, name);
      for (const u of fx.users) {
        if (u.errors.length) console.log(`[${u.user}] page errors:\n  ${u.errors.join("\n  ")}`);
        if (u.console.length) console.log(`[${u.user}] console:\n  ${u.console.slice(-20).join("\n  ")}`);
      }
      if (fx.server) console.log(`--- chatd output (tail) ---\n${tail(fx.server.output(), 3000)}`);
      throw e;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// UI steps

/** Opens the UI and signs in (the first sign-in with a name creates the account). */
export async function signIn(fx, page, name, password = `pw-${name}-secret`) {
  await page.goto(fx.url + "/", { waitUntil: "load", timeout: WAIT_MS });
  await waitVisible(page.getByTestId("signin-name"), `${name}: sign-in form`);
  await page.getByTestId("signin-name").fill(name);
  await page.getByTestId("signin-password").fill(password);
  await page.getByTestId("signin-submit").click();
}

/**
 * Waits until `page` is signed in as `name`, connected, in room "general" with its messages
 * loaded (the join ack lists the user itself as online).
 */
export async function waitInGeneral(page, name) {
  await waitFor(
    async () => (await page.getByTestId("room-title").textContent()) === "# general",
    { what: `${name}: room title "# general"` },
  );
  await waitFor(async () => !(await page.getByTestId("composer-input").isDisabled()), {
    what: `${name}: composer enabled`,
  });
  await waitFor(async () => (await onlineNames(page)).includes(name), {
    what: `${name}: itself in the online list (room joined)`,
  });
  await waitHidden(page.getByTestId("connection-banner"), `${name}: connection banner`);
}

/** Signs in and waits until in general. */
export async function signInToGeneral(fx, page, name, password) {
  await signIn(fx, page, name, password);
  await waitInGeneral(page, name);
}

/** Names in the online list of the current room. */
export async function onlineNames(page) {
  return page.getByTestId("online-user").evaluateAll((els) => els.map((e) => e.dataset.userName));
}

/** The message list as data: [{ seq, pending, text, author, authorId }]. */
export async function messages(page) {
  return page.getByTestId("message").evaluateAll((els) =>
    els.map((e) => ({
      seq: e.dataset.seq ?? null,
      pending: e.dataset.pending === "true",
      text: e.querySelector('[data-testid="message-text"]')?.textContent ?? null,
      author: e.querySelector('[data-testid="message-author"]')?.textContent ?? null,
      authorId: e.dataset.authorId ?? null,
    })),
  );
}

/**
 * Waits until the message list of `page` holds exactly one stored (non-pending) message with
 * exactly `text`, by `author` if given. Returns it.
 */
export async function waitForMessage(page, text, { author, who = "page", timeout = WAIT_MS } = {}) {
  let found;
  await waitFor(
    async () => {
      const list = await messages(page);
      const same = list.filter((m) => m.text === text);
      found = same[0];
      return same.length === 1 && !found.pending && found.seq !== null && (!author || found.author === author);
    },
    { timeout, what: `${who}: exactly one stored message ${JSON.stringify(text)}${author ? ` by ${author}` : ""}` },
  );
  return found;
}

/** Types `text` into the composer and presses Enter. */
export async function send(page, text) {
  const input = page.getByTestId("composer-input");
  await input.fill(text);
  await input.press("Enter");
}

/** Asserts no page of the test threw an uncaught exception. */
export function assertNoPageErrors(fx) {
  const errors = fx.pageErrors();
  if (errors.length) throw new Error(`uncaught exceptions in the page:\n${errors.join("\n")}`);
}
