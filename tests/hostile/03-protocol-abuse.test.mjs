// Engine.IO / Socket.IO / WebSocket level abuse (issue #9): what a client can make the server
// buffer before it has even joined a namespace, and what it can make it answer without reading.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { account } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { sleep, until, within } from "../lib/wait.mjs";
import { hostile, RawClient } from "./setup.mjs";

function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
}

/** A bare Engine.IO WebSocket (no namespace joined); resolves once the open packet arrived. */
async function bareSocket(s, { cookie } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/socket.io/?EIO=4&transport=websocket`, {
    headers: cookie ? { cookie } : {},
    perMessageDeflate: false,
  });
  ws.on("error", () => {});
  ws.closedWith = null;
  ws.on("close", (code, reason) => (ws.closedWith = { code, reason: reason.toString() }));
  ws.texts = [];
  ws.on("message", (d, binary) => {
    if (!binary) ws.texts.push(d.toString());
  });
  await within(new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("close", () => reject(new Error("closed before open")));
  }), 5000, "websocket open");
  await until(() => ws.texts.some((t) => t.startsWith("0{")), 5000, "open packet");
  return ws;
}

hostile("a binary packet before any namespace is joined closes the connection (nothing is buffered)", {}, async (s) => {
  const ws = await bareSocket(s);
  // A BINARY_EVENT announcing two attachments for namespace "/", which this client never joined.
  ws.send('452-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
  ws.send(Buffer.alloc(500000, 1));
  await until(() => ws.closedWith, 3000, "the server to close the connection");
  assert.match(s.output(), /binary packet for a namespace not joined/);
});

hostile("a binary packet whose attachments add up to more than maxPayload closes the connection", { args: ["--max-payload", "100000"] }, async (s) => {
  const { cookie } = await account(s, "uploader");
  const c = new RawClient(s, cookie, { label: "uploader" });
  await c.open();
  // Each attachment alone is under maxPayload (so the WebSocket layer accepts it); together
  // they are four times over.
  const placeholders = Array.from({ length: 8 }, (_, num) => ({ _placeholder: true, num }));
  c.ws.send(`458-${JSON.stringify(["message:send", ...placeholders])}`);
  for (let i = 0; i < 8 && c.ws.readyState === WebSocket.OPEN; i++) c.ws.send(Buffer.alloc(50000, i));
  await until(() => c.closed, 3000, "the server to close the connection");
  assert.match(s.output(), /larger than maxPayload/);
});

hostile("WebSocket pings from a client that does not read queue one pong, not one per ping", {}, async (s) => {
  const ws = await bareSocket(s);
  let pongs = 0;
  ws.on("pong", () => pongs++);
  ws._socket.pause();
  const payload = Buffer.alloc(125, 7); // the largest control frame payload
  // 150,000 pings: ~19 MB of pongs if each one were queued. The kernel's socket buffers hold a
  // few MB of them; past that, RFC 6455 lets the server answer only the newest ping.
  const pings = 150000;
  for (let i = 0; i < pings && ws.readyState === WebSocket.OPEN; i++) {
    ws.ping(payload);
    if (i % 5000 === 4999) await sleep(5);
  }
  await sleep(500);
  ws._socket.resume();
  await sleep(2000);
  assert.ok(pongs > 0, "pings are answered");
  assert.ok(pongs < pings / 2, `${pongs} pongs for ${pings} pings: the unread ones were not all queued`);
  ws.terminate();
});

hostile("a probe that repeats 2probe without reading is closed after a few unanswered probes", {}, async (s) => {
  const open = await request(s, "GET", "/socket.io/?EIO=4&transport=polling");
  const sid = JSON.parse(open.text.slice(1)).sid;
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/socket.io/?EIO=4&transport=websocket&sid=${sid}`, { perMessageDeflate: false });
  ws.on("error", () => {});
  let closed = null;
  ws.on("close", (code, reason) => (closed = { code, reason: reason.toString() }));
  await within(new Promise((r) => ws.once("open", r)), 5000, "probe open");
  ws._socket.pause();
  // Enough probes to fill the kernel's buffers many times over with "3probe" answers.
  const big = "2probe";
  for (let i = 0; i < 400000 && ws.readyState === WebSocket.OPEN; i++) {
    ws.send(big);
    if (i % 10000 === 9999) await sleep(5);
  }
  ws._socket.resume();
  await until(() => closed, 10000, "the server to close the probe");
  assert.match(s.output(), /does not read its control answers/);
});
