// The browser suite's setup: a real chatd serving the web UI (tests/lib/chat-server.mjs
// ChatServer, one per test file, fresh database and upload dir), Debian's chromium driven by
// playwright-core, waits on the page, and screenshots of every open page when a test fails.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { ChatServer } from "../lib/chat-server.mjs";
import { tail } from "../lib/chatd.mjs";
import { sleep, until } from "../lib/wait.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const testsDir = path.resolve(here, "..");
const repoDir = path.resolve(testsDir, "..");

/** The web UI chatd serves: $CHAT_WEB_DIR, else build/test/web. */
export const WEB_DIR = path.resolve(testsDir, process.env.CHAT_WEB_DIR || "../build/test/web");
export const ARTIFACTS_DIR = path.join(repoDir, "test-artifacts", "browser");

/** Longest single wait (the brief: at most 15 s per wait). */
export const WAIT_MS = 15000;

// ---------------------------------------------------------------------------------------------
// Waits on the page

/**
 * Waits (tests/lib/wait.mjs until, polling every 50 ms, at most WAIT_MS) until `fn` (sync or
 * async) returns a truthy value, which is returned. Unlike until(), an exception thrown by `fn`
 * counts as "not yet" (a page query during a navigation); the timeout message names `what` and
 * the last value or error seen.
 */
export async function waitFor(fn, { timeout = WAIT_MS, what = "condition" } = {}) {
  let last;
  let lastError;
  const attempt = async () => {
    try {
      last = await fn();
      lastError = undefined;
      return last;
    } catch (e) {
      lastError = e;
      return false;
    }
  };
  const detail = () => `${what} (${lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`})`;
  return await until(attempt, Math.min(timeout, WAIT_MS), detail, { every: 50 });
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

/** A ChatServer serving the built web UI (WEB_DIR); `args`: extra chatd flags. */
function browserChatd(args) {
  if (!existsSync(path.join(WEB_DIR, "index.html"))) throw new Error(`no web UI in ${WEB_DIR} (set CHAT_WEB_DIR)`);
  return new ChatServer({ args, webDir: WEB_DIR, logLevel: "info", dirPrefix: "chatd-browser-", readyTimeoutMs: 15000 });
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
 * Per-file fixture: starts chatd (`args`: extra flags) and chromium before the file's tests,
 * closes every browser context opened by a test after it, checks chatd is sanitizer-clean after
 * each test, and stops both after the file. `fx.stopServer()` and `fx.startServerAgain()` restart
 * chatd on the same port, database and uploads, with the pages left open.
 */
export function useBrowser({ args = [] } = {}) {
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
      return fx.newTab(user, context);
    },
    /** Another page in `context` (a second tab of the same user), registered like newUser's. */
    async newTab(user, context) {
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
      await fx.server.start({ samePort: true });
      return fx.server;
    },
    /** Uncaught exceptions in any page of this test. */
    pageErrors() {
      return fx.users.flatMap((u) => u.errors.map((e) => `[${u.user}] ${e}`));
    },
  };

  before(async () => {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fx.server = browserChatd(args);
    fx.dir = fx.server.dir;
    await fx.server.start();
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
      fx.server?.removeFiles();
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
 * describe(title) with its own chatd and browser (useBrowser(options): e.g. { args } for chatd);
 * body(fx) declares the suite's browserTests.
 */
export function browserSuite(title, options, body) {
  if (body === undefined) [options, body] = [{}, options];
  describe(title, () => body(useBrowser(options)));
}

/**
 * A node:test test that fails when any of its pages threw an uncaught exception, and on failure
 * saves a screenshot of each open page and prints the pages' uncaught errors / console errors
 * and the tail of chatd's output.
 */
export function browserTest(fx, name, fn, options = {}) {
  test(name, { timeout: 90000, ...options }, async (t) => {
    try {
      await fn(t);
      assertNoPageErrors(fx);
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

/**
 * A page of a new user `name` (a browser context of its own), signed in and in general.
 * `initScript` runs in each of the context's pages before theirs; `prepare(page)` runs before the
 * sign-in (e.g. to watch the WebSocket from its start).
 */
export async function userInGeneral(fx, name, { initScript, prepare } = {}) {
  const page = await fx.newUser(name);
  if (initScript) await page.context().addInitScript(initScript);
  if (prepare) await prepare(page);
  await signInToGeneral(fx, page, name);
  return page;
}

/** Pages of the users `names`, each signed in to general (one after another). */
export async function usersInGeneral(fx, names) {
  const pages = [];
  for (const name of names) pages.push(await userInGeneral(fx, name));
  return pages;
}

/** The two users most tests need: alice and bob, each in a page of their own, signed in to general. */
export async function aliceAndBobInGeneral(fx) {
  const [alice, bob] = await usersInGeneral(fx, ["alice", "bob"]);
  return { alice, bob };
}

/** A second tab of `page`'s user (same context, same session), loaded and in general. */
export async function secondTabInGeneral(fx, page, name) {
  const tab = await fx.newTab(`${name} (2nd tab)`, page.context());
  await tab.goto(fx.url + "/", { waitUntil: "load", timeout: WAIT_MS });
  await waitInGeneral(tab, name);
  return tab;
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

// ---------------------------------------------------------------------------------------------
// Steps of the team-chat features (issue #13)

/** The stored message whose text is exactly `text` (a Locator; use .first() where needed). */
export function messageByText(page, text) {
  return page.locator('[data-testid="message"][data-seq]').filter({
    has: page.locator('[data-testid="message-text"]').getByText(text, { exact: true }),
  });
}

/** The room buttons of a list ("room-list" / "dm-list") as [{ id, kind, name, unread, mentions, online }]. */
export function roomItems(page, list) {
  return page
    .getByTestId(list)
    .getByTestId("room-item")
    .evaluateAll((els) =>
      els.map((e) => ({
        id: e.dataset.roomId,
        kind: e.dataset.roomKind,
        name: e.querySelector(".room-name")?.textContent ?? null,
        unread: e.querySelector('[data-testid="room-unread"]')?.textContent ?? null,
        mentions: e.querySelector('[data-testid="room-mentions"]')?.textContent ?? null,
        online: !!e.querySelector('[data-testid="room-online"]'),
      })),
    );
}

/** Opens public room `name` from the room list and waits for its title. */
export async function openListedRoom(page, name, who = "page") {
  await page.getByTestId("room-list").getByTestId("room-item").filter({ hasText: name }).click();
  await waitFor(async () => (await page.getByTestId("room-title").textContent()) === `# ${name}`, { what: `${who}: in ${name}` });
}

/** Joins (or creates) public room `name` with the sidebar form and waits for its title; returns its id. */
export async function joinRoom(page, name) {
  await page.getByTestId("create-room-input").fill(name);
  await page.getByTestId("create-room-button").click();
  await waitFor(async () => (await page.getByTestId("room-title").textContent()) === `# ${name}`, { what: `title "# ${name}"` });
  const item = await waitFor(async () => (await roomItems(page, "room-list")).find((r) => r.name === name), { what: `${name} listed` });
  return Number(item.id);
}

/**
 * Sends `n` messages "<prefix> <i>" to room `roomId` from a second Socket.IO connection opened
 * inside `page` (it shares the page's session cookie), each waiting for its ack.
 */
export function sendManyFromPage(page, roomId, prefix, n) {
  return page.evaluate(
    async ({ roomId, prefix, n }) => {
      const s = window.io({ forceNew: true, transports: ["websocket"] });
      await new Promise((resolve, reject) => {
        s.once("ready", resolve);
        s.once("connect_error", (e) => reject(new Error(String(e && e.message))));
      });
      for (let i = 1; i <= n; i++) {
        const ack = await s.timeout(10000).emitWithAck("message:send", { roomId, text: `${prefix} ${i}`, clientId: `bulk-${prefix}-${i}-${Math.random()}` });
        if (!ack || ack.ok !== true) throw new Error(`message ${i}: ${JSON.stringify(ack)}`);
      }
      s.disconnect();
    },
    { roomId: Number(roomId), prefix, n },
  );
}

/**
 * Sends `page`'s Socket.IO WebSocket through a Playwright route that drops the server's text
 * frames for which `drop(frame)` is true, standing in for a lost broadcast. Returns
 * { dropped, sent, ws }: the frames dropped, the frames the page sent, and (once the page's
 * client has upgraded to the WebSocket) the page's side of the route, whose send() hands the page
 * a frame as if from the server. Call before the page connects.
 */
export async function dropServerFrames(page, drop) {
  const link = { dropped: [], sent: [], ws: null };
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      link.sent.push(m);
      server.send(m);
    });
    server.onMessage((m) => {
      if (typeof m === "string" && drop(m)) {
        link.dropped.push(m);
        return;
      }
      ws.send(m);
    });
    link.ws = ws;
  });
  return link;
}

/**
 * alice and bob in general, bob's WebSocket through dropServerFrames(bob, drop); resolves once
 * bob's client has upgraded to it (shortly after connecting) and a moment more. Returns
 * { alice, bob, link }.
 */
export async function aliceAndBobDroppingFrames(fx, drop) {
  const alice = await userInGeneral(fx, "alice");
  let link = null;
  const bob = await userInGeneral(fx, "bob", { prepare: async (page) => { link = await dropServerFrames(page, drop); } });
  await waitFor(async () => link.ws !== null, { what: "bob: WebSocket through the route" });
  await sleep(500);
  return { alice, bob, link };
}
