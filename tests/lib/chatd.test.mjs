// The harness's own checks: a Chatd (on a stand-in process, fake-chatd.mjs) must fail a test on
// a sanitizer report, an unexpected exit, a non-zero exit after SIGTERM and a SIGTERM it ignores
// — if these checks could not fail, no suite's server check could.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { Chatd, chatdEnv, sanitizerReport } from "./chatd.mjs";
import { request } from "./net.mjs";
import { sleep } from "./wait.mjs";

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fake-chatd.mjs");

function fake(extra = [], options = {}) {
  const chatd = new Chatd({
    binary: process.execPath,
    args: (c) => [FAKE, "--host", c.host, "--port", String(c.port), ...extra],
    dirPrefix: "chatd-harness-",
    ...options,
  });
  return chatd;
}

async function withFake(extra, options, fn) {
  const chatd = fake(extra, options);
  try {
    await fn(chatd);
  } finally {
    if (chatd.running) await chatd.kill();
    chatd.removeFiles();
  }
}

test("start waits for /healthz, keeps the output, and stop accepts a clean exit", async () => {
  await withFake([], {}, async (chatd) => {
    await chatd.start();
    assert.ok(chatd.running);
    assert.equal((await request(chatd, "GET", "/healthz")).json.status, "ok");
    await chatd.waitForOutput(/listening on \d+/, { ms: 2000 });
    chatd.assertClean();
    assert.deepEqual(await chatd.stop(), { code: 0, signal: null });
    assert.match(chatd.output(), /stopping/);
  });
});

test("a sanitizer report fails assertClean and stop", async () => {
  await withFake(["--report", "==1==ERROR: AddressSanitizer: heap-use-after-free"], {}, async (chatd) => {
    await chatd.start();
    await chatd.waitForOutput("AddressSanitizer", { ms: 2000 });
    assert.throws(() => chatd.assertClean(), /output contains "AddressSanitizer"/);
    await assert.rejects(chatd.stop(), /output contains "AddressSanitizer"/);
  });
});

test("a report a test declared harmless (ignoredReports) does not fail", async () => {
  await withFake(["--report", "runtime error: harmless here"], {}, async (chatd) => {
    chatd.ignoredReports = [/runtime error: harmless here/];
    await chatd.start();
    await chatd.waitForOutput("harmless", { ms: 2000 });
    chatd.assertClean();
    await chatd.stop();
  });
});

test("an exit nobody asked for fails assertClean and stop", async () => {
  await withFake(["--crash-after", "300"], {}, async (chatd) => {
    await chatd.start();
    assert.equal((await chatd.waitForExit(5000)).code, 3);
    assert.throws(() => chatd.assertClean(), /exited unexpectedly \(code 3/);
    await assert.rejects(chatd.stop(), /exited on its own before stop/);
  });
});

test("a non-zero exit after SIGTERM fails stop", async () => {
  await withFake(["--exit-code", "2"], {}, async (chatd) => {
    await chatd.start();
    await assert.rejects(chatd.stop(), /exited with code 2, signal null after SIGTERM/);
  });
});

test("a SIGTERM that is ignored fails stop after the grace period (and the process is killed)", async () => {
  await withFake(["--ignore-term"], { graceMs: 500 }, async (chatd) => {
    await chatd.start();
    await assert.rejects(chatd.stop(), /did not exit within 500 ms of SIGTERM; killed/);
    assert.equal(chatd.running, false);
  });
});

test("restart keeps the data directory and the output; samePort keeps the address", async () => {
  await withFake([], {}, async (chatd) => {
    await chatd.start();
    const { port, dir } = chatd;
    await chatd.restart({ samePort: true });
    assert.equal(chatd.port, port);
    assert.equal(chatd.dir, dir);
    assert.equal(chatd.output().match(/listening on/g).length, 2);
    await chatd.stop();
  });
});

test("kill is an expected exit; a start without waiting returns at once", async () => {
  await withFake([], {}, async (chatd) => {
    await chatd.start({ waitReady: false });
    await chatd.waitForOutput("listening", { ms: 5000 });
    await chatd.kill();
    chatd.assertClean();
    assert.equal(await chatd.stop(), chatd.exit); // nothing more to stop
  });
});

test("chatdEnv drops chatd's settings from the inherited environment", () => {
  process.env.CHAT_TEST_LEAK = "1";
  process.env.DATABASE_URL = "postgres://elsewhere";
  try {
    const env = chatdEnv({ PORT: "1" });
    assert.equal(env.CHAT_TEST_LEAK, undefined);
    assert.equal(env.DATABASE_URL, undefined);
    assert.equal(env.PORT, "1");
    assert.equal(env.PATH, process.env.PATH);
  } finally {
    delete process.env.CHAT_TEST_LEAK;
    delete process.env.DATABASE_URL;
  }
  assert.equal(sanitizerReport("x\n==9==ERROR: LeakSanitizer: detected memory leaks"), "LeakSanitizer");
  assert.equal(sanitizerReport("all fine"), null);
});

test("the process's exit is seen even when it never started (no such binary)", async () => {
  const chatd = new Chatd({ binary: "/nonexistent/chatd-for-the-harness-test", dirPrefix: "chatd-harness-" });
  try {
    await assert.rejects(
      Promise.race([chatd.start(), sleep(30000).then(() => "hung")]).then((v) => {
        if (v === "hung") throw new Error("start hung");
      }),
      /chatd binary at \/nonexistent/,
    );
  } finally {
    chatd.removeFiles();
  }
});
