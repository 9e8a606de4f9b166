#!/usr/bin/env node
// Captures real HTTP requests, byte for byte, as seeds for the fuzz targets:
//   tests/fuzz/corpus/http_request_fuzzer/captured_<client>_<what>   (the raw request)
//   tests/fuzz/corpus/multipart_fuzzer/captured_<client>_<what>[_scaled]   (multipart bodies)
//
// Clients: Chromium (Debian's /usr/bin/chromium driven by playwright-core from tests/node_modules)
// and Node's own fetch (undici: FormData and Blob). They talk to a raw TCP server on 127.0.0.1
// (loopback only) that records every request exactly as it arrives and answers just enough for the
// client to go on: the page at /, a minimal Engine.IO (handshake, poll, post; WebSocket upgrades
// refused) so the official socket.io client sends its real requests, and "{}" for the rest.
// The images are made by Chromium's canvas (PNG, JPEG, WebP; 40x40, a few KB) plus a 1x1 GIF.
//
// Usage: node tests/fuzz/seeds/capture.mjs [OUT_DIR]   (default: tests/fuzz/corpus)
// The boundaries, keys and sids are random, so every run gives other bytes; the host is rewritten
// to localhost:8888 so the seeds do not depend on the port. Existing captured_* files are replaced.
import { readFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(process.argv[2] || path.join(here, "..", "corpus"));
const SOCKET_IO_BUNDLE = path.join(here, "../../../web/node_modules/socket.io-client/dist/socket.io.min.js");
const HOST = "localhost:8888";
const STEP_MS = 15000;

// ------------------------------------------------------------------------------------------------
// The recording server

const captured = [];  // { label, raw: Buffer, method, path, headers: Map, body: Buffer }
let currentLabel = "unlabelled";

function parseHead(buf) {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const [method, target] = lines[0].split(" ");
  const headers = new Map();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method, target, headers, headEnd: end + 4 };
}

// The length of the whole request at the start of `buf`, or -1 while it is incomplete.
function requestLength(buf) {
  const head = parseHead(buf);
  if (!head) return -1;
  if ((head.headers.get("transfer-encoding") || "").toLowerCase().includes("chunked")) {
    let at = head.headEnd;
    for (;;) {
      const eol = buf.indexOf("\r\n", at);
      if (eol < 0) return -1;
      const size = parseInt(buf.subarray(at, eol).toString("latin1").split(";")[0], 16);
      if (size === 0) {
        const end = buf.indexOf("\r\n\r\n", eol);  // no trailers are sent by these clients
        return end < 0 ? -1 : end + 4;
      }
      at = eol + 2 + size + 2;
      if (at > buf.length) return -1;
    }
  }
  const length = Number(head.headers.get("content-length") || 0);
  return buf.length >= head.headEnd + length ? head.headEnd + length : -1;
}

// Answers a recorded request; returns false to close the connection instead.
function answer(socket, req, page) {
  const send = (status, type, body, extra = "") =>
    socket.write(`HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
                 `Cache-Control: no-store\r\n${extra}\r\n${body}`);
  const url = new URL(req.target, "http://" + HOST);
  if (req.method === "GET" && url.pathname === "/") return send("200 OK", "text/html; charset=utf-8", page), true;
  if (url.pathname === "/socket.io.min.js") {
    return send("200 OK", "text/javascript", readFileSync(SOCKET_IO_BUNDLE, "utf8")), true;
  }
  if (url.pathname.startsWith("/socket.io/")) {
    if (url.searchParams.get("transport") === "websocket") return send("400 Bad Request", "application/json", '{"code":3}'), false;
    const sid = url.searchParams.get("sid");
    if (!sid) {
      const open = { sid: "AAAAAAAAAAAAAAAAAAAAAAAA", upgrades: ["websocket"], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 };
      return send("200 OK", "text/plain; charset=UTF-8", "0" + JSON.stringify(open)), true;
    }
    if (req.method === "POST") return send("200 OK", "text/html", "ok"), true;
    // A poll: the Socket.IO connect answer once, then a close packet so the client stops.
    const first = !socket.server.answeredConnect;
    socket.server.answeredConnect = true;
    return send("200 OK", "text/plain; charset=UTF-8", first ? '40{"sid":"BBBBBBBBBBBBBBBBBBBB"}' : "1"), true;
  }
  if (req.method === "DELETE") return socket.write("HTTP/1.1 204 No Content\r\n\r\n"), true;
  return send("200 OK", "application/json", "{}"), true;
}

function startServer(page) {
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const n = requestLength(buf);
        if (n < 0) return;
        const raw = buf.subarray(0, n);
        buf = buf.subarray(n);
        const head = parseHead(raw);
        const req = { label: currentLabel, raw, method: head.method, target: head.target, headers: head.headers,
                      body: raw.subarray(head.headEnd) };
        captured.push(req);
        if (!answer(socket, req, page)) return socket.end();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// ------------------------------------------------------------------------------------------------
// The clients

const PAGE = `<!doctype html><meta charset="utf-8"><title>capture</title>
<input type="file" id="picker">
<form id="classic" method="post" action="/api/avatar" enctype="multipart/form-data">
  <input type="file" name="avatar" id="classicFile"><input type="text" name="note" value="h\u00e9llo w\u00f6rld">
</form>
<script src="/socket.io.min.js"></script>`;

// The same fetch as the UI's api() in web/app.js.
async function uiFetch(page, method, path, body) {
  await page.evaluate(async ({ method, path, body }) => {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    await fetch(path, init);
  }, { method, path, body });
}

async function untilCaptured(label, count = 1) {
  const deadline = Date.now() + STEP_MS;
  while (captured.filter((r) => r.label === label).length < count) {
    if (Date.now() > deadline) throw new Error(`nothing captured for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function step(label, fn, count = 1) {
  currentLabel = label;
  await fn();
  await untilCaptured(label, count);
}

// A 1x1 transparent GIF (the one format canvas cannot encode).
const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

async function chromiumRequests(base) {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    timeout: STEP_MS,
  });
  const images = {};
  try {
    const page = await browser.newPage();
    await page.goto(base + "/");
    // Canvas-made images, as a user's photo would be (small, a few KB).
    for (const [ext, type, quality] of [["png", "image/png"], ["jpg", "image/jpeg", 0.85], ["webp", "image/webp", 0.8]]) {
      const b64 = await page.evaluate(async ({ type, quality }) => {
        const c = document.createElement("canvas");
        c.width = c.height = 40;
        const g = c.getContext("2d");
        const grad = g.createLinearGradient(0, 0, 40, 40);
        grad.addColorStop(0, "#2a6"), grad.addColorStop(1, "#c4f");
        g.fillStyle = grad, g.fillRect(0, 0, 40, 40);
        g.fillStyle = "#fff", g.font = "bold 18px sans-serif", g.fillText("AB", 6, 27);
        for (let i = 0; i < 60; i++) g.fillStyle = `hsl(${i * 37},70%,50%)`, g.fillRect((i * 13) % 40, (i * 7) % 40, 2, 2);
        const blob = await new Promise((r) => c.toBlob(r, type, quality));
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let s = "";
        for (const b of bytes) s += String.fromCharCode(b);
        return btoa(s);
      }, { type, quality });
      images[ext] = { name: `photo.${ext}`, mimeType: type, buffer: Buffer.from(b64, "base64") };
    }

    // The UI's upload (web/app.js uploadAvatar): a picked file, FormData, fetch.
    for (const ext of ["png", "jpg", "webp"]) {
      await page.setInputFiles("#picker", images[ext]);
      await step(`chromium_avatar_${ext}`, () =>
        page.evaluate(async () => {
          const file = document.getElementById("picker").files[0];
          const form = new FormData();
          form.append("avatar", file, file.name || "avatar");
          await fetch("/api/avatar", { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }, body: form });
        }));
    }
    // A classic form post: a file name with a quote, non-ASCII and a path-like look, and a text field.
    await page.setInputFiles("#classicFile", { ...images.png, name: 'my "best" f\u00f6to.png' });
    await step("chromium_form_post", () =>
      Promise.all([page.waitForURL("**/api/avatar"), page.evaluate(() => document.getElementById("classic").submit())]));
    await page.goto(base + "/");

    await step("chromium_session_post", () => uiFetch(page, "POST", "/api/session", { name: "Zo\u00eb", password: "correct horse battery staple" }));
    await step("chromium_session_delete", () => uiFetch(page, "DELETE", "/api/session"));
    await step("chromium_me", () => uiFetch(page, "GET", "/api/me"));
    await step("chromium_history", () => uiFetch(page, "GET", "/api/rooms/12/messages?before=120&limit=50"));

    // The official socket.io client: polling handshake, connect POST, polls, upgrade probe.
    await step("chromium_socketio", () =>
      page.evaluate(() => {
        window.sock = io({ transports: ["polling", "websocket"], reconnection: false });
      }), 4);
    await page.waitForTimeout(500);
    await page.evaluate(() => window.sock.close());
    // A plain WebSocket opening handshake.
    await step("chromium_websocket", () =>
      page.evaluate(() => { new WebSocket(`ws://${location.host}/socket.io/?EIO=4&transport=websocket`); }));
  } finally {
    await browser.close();
  }
  return images;
}

async function nodeRequests(base, images) {
  for (const [label, build] of [
    ["node_avatar_png", (f) => f.append("avatar", new Blob([images.png.buffer], { type: "image/png" }), "avatar.png")],
    ["node_avatar_gif_and_field", (f) => {
      f.append("note", "from node \u2713");
      f.append("avatar", new Blob([GIF], { type: "image/gif" }), "tiny.gif");
    }],
  ]) {
    const form = new FormData();
    build(form);
    await step(label, () => fetch(base + "/api/avatar", { method: "POST", body: form }).then((r) => r.text()));
  }
  await step("node_session_post", () =>
    fetch(base + "/api/session", { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify({ name: "bot", password: "hunter2" }) }).then((r) => r.text()));
  // A streamed body: chunked transfer coding.
  await step("node_chunked_post", () =>
    fetch(base + "/api/session", {
      method: "POST", duplex: "half", headers: { "Content-Type": "application/json" },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"name":"streamed",'));
          c.enqueue(new TextEncoder().encode('"password":"in two chunks"}'));
          c.close();
        },
      }),
    }).then((r) => r.text()));
}

// ------------------------------------------------------------------------------------------------

function withHost(raw, port) {
  // The port is random: write the address as localhost:8888, in the header only.
  const end = raw.indexOf("\r\n\r\n") + 4;
  const head = raw.subarray(0, end).toString("latin1").replaceAll(`127.0.0.1:${port}`, HOST);
  return Buffer.concat([Buffer.from(head, "latin1"), raw.subarray(end)]);
}

const server = await startServer(PAGE);
const port = server.address().port;
const base = `http://127.0.0.1:${port}`;
try {
  const images = await chromiumRequests(base);
  await nodeRequests(base, images);
} finally {
  server.close();
}

const httpDir = path.join(OUT, "http_request_fuzzer");
const multipartDir = path.join(OUT, "multipart_fuzzer");
for (const dir of [httpDir, multipartDir]) {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith("captured_")) rmSync(path.join(dir, f));
}
const seen = new Map();
for (const req of captured) {
  // The page, the client bundle and the browser's own favicon request are not seeds.
  if (["/", "/socket.io.min.js", "/favicon.ico"].includes(req.target) && req.method === "GET") continue;
  const n = (seen.get(req.label) || 0) + 1;
  seen.set(req.label, n);
  const name = `captured_${req.label}${n > 1 ? "_" + n : ""}`;
  writeFileSync(path.join(httpDir, name), withHost(req.raw, port));
  const type = req.headers.get("content-type") || "";
  if (type.startsWith("multipart/form-data")) {
    // multipart_fuzzer input: configuration byte (3: Content-Type from the input; limits 0: the
    // avatar upload's, 1: the same scaled down), the Content-Type, '\n', the body.
    for (const [suffix, config] of [["", 0x03], ["_scaled", 0x07]]) {
      writeFileSync(path.join(multipartDir, name + suffix),
                    Buffer.concat([Buffer.from([config]), Buffer.from(type + "\n", "latin1"), req.body]));
    }
  }
  console.log(`${name}: ${req.method} ${req.target} (${req.raw.length} bytes${type ? ", " + type : ""})`);
}
