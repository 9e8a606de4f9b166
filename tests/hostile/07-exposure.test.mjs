// What the server gives away to anyone who asks (issue #9, low): /metrics, namespace names echoed
// back, and cross-origin access.
import assert from "node:assert/strict";
import WebSocket from "ws";
import { request } from "../lib/net.mjs";
import { hostile } from "./setup.mjs";

hostile("/metrics is served to loopback only without a token (not to a client behind a proxy)", { args: ["--trusted-proxies", "127.0.0.1"] }, async (s) => {
  assert.equal((await request(s, "GET", "/metrics")).status, 200, "loopback itself may read it");
  const remote = await request(s, "GET", "/metrics", { headers: { "x-forwarded-for": "203.0.113.5" } });
  assert.equal(remote.status, 403);
  assert.equal(remote.json.error, "forbidden");
  assert.doesNotMatch(remote.text, /chatd_/);
});

hostile("with CHAT_METRICS_TOKEN, /metrics needs the bearer token, from anywhere", { args: ["--metrics-token", "s3cret-scrape-token"] }, async (s) => {
  const none = await request(s, "GET", "/metrics");
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), "Bearer");
  const wrong = await request(s, "GET", "/metrics", { headers: { authorization: "Bearer s3cret-scrape-tokeX" } });
  assert.equal(wrong.status, 401);
  const right = await request(s, "GET", "/metrics", { headers: { authorization: "Bearer s3cret-scrape-token" } });
  assert.equal(right.status, 200);
  assert.match(right.text, /chatd_connections_opened_total/);
});

// WebSocket text frames are UTF-8-checked by the WebSocket layer already; polling bodies are
// not, so an invalid namespace name can arrive there.
hostile("a namespace name that is not valid UTF-8 (in a polling body) is refused, never echoed back", { args: ["--conformance", "--ping-interval", "25000", "--ping-timeout", "20000"] }, async (s) => {
  const open = await request(s, "GET", "/socket.io/?EIO=4&transport=polling");
  const sid = JSON.parse(open.text.slice(1)).sid;
  const body = Buffer.from([0x34, 0x30, 0x2f, 0xff, 0xfe, 0x2c]);
  await request(s, "POST", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { body, headers: { "content-type": "text/plain;charset=UTF-8" } });
  const next = await request(s, "GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { ms: 5000 });
  assert.doesNotMatch(next.buffer.toString("latin1"), /Invalid namespace/);
  assert.ok(next.status === 400 || next.text.endsWith("1"), `${next.status} ${next.text}`);
});

/** The status of a WebSocket handshake to Engine.IO with these headers. */
function upgradeStatus(s, headers) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/socket.io/?EIO=4&transport=websocket`, { headers, perMessageDeflate: false });
    ws.on("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode);
      ws.terminate();
    });
    ws.on("error", () => resolve(0));
  });
}

hostile("the Origin check compares the scheme too: an https page is not the http site, and the other way round", { args: ["--trusted-proxies", "127.0.0.1"] }, async (s) => {
  const host = `127.0.0.1:${s.port}`;
  assert.equal(await upgradeStatus(s, { origin: `http://${host}` }), 101);
  assert.equal(await upgradeStatus(s, { origin: `https://${host}` }), 403, "https Origin, request over http");
  // Behind a TLS proxy (trusted, says https) the https page is the site and the http one is not.
  assert.equal(await upgradeStatus(s, { origin: `https://${host}`, "x-forwarded-proto": "https" }), 101);
  assert.equal(await upgradeStatus(s, { origin: `http://${host}`, "x-forwarded-proto": "https" }), 403);
});

hostile("an untrusted peer cannot claim https with X-Forwarded-Proto", {}, async (s) => {
  const host = `127.0.0.1:${s.port}`;
  assert.equal(await upgradeStatus(s, { origin: `https://${host}`, "x-forwarded-proto": "https" }), 403);
});

hostile("CHAT_ALLOWED_ORIGINS=* allows any origin, but never with credentials", { args: ["--allowed-origins", "*"] }, async (s) => {
  const res = await request(s, "GET", "/socket.io/?EIO=4&transport=polling", { headers: { origin: "http://anywhere.example" } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("access-control-allow-credentials"), null);
  // A listed-by-name origin still gets credentials: see tests/protocol/bad-input.
});
