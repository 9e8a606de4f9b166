// Bad input over raw HTTP, raw WebSocket and raw TCP: Engine.IO error codes, malformed packets,
// garbage request lines, Origin checks, and the heartbeat closing a silent client.
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import WebSocket from "ws";
import { once, sleep, within } from "../lib/wait.mjs";
import { connect, startServer, useServer } from "./setup.mjs";

const fx = useServer();

async function getJson(path, init = {}) {
  const res = await fetch(fx.server.url + path, { ...init, signal: AbortSignal.timeout(3000) });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

/**
 * Opens a raw socket.io connection over WebSocket, joins "/" and answers pings; resolves with the
 * ws, whose `messages` collects the text frames received (pings excluded).
 */
async function rawSocketIo(server = fx.server) {
  const ws = new WebSocket(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  const messages = [];
  ws.on("message", (d, isBinary) => {
    if (isBinary) return;
    const text = d.toString();
    if (text === "2") ws.send("3"); // answer heartbeats, so only what a test sends can close it
    else messages.push(text);
  });
  await within(
    (async () => {
      while (messages.length < 1) await sleep(5);
    })(),
    3000,
    "open packet",
  );
  assert.equal(messages[0][0], "0");
  ws.send("40");
  await within(
    (async () => {
      while (!messages.some((m) => m.startsWith("42"))) await sleep(5);
    })(),
    3000,
    "namespace connect + auth event",
  );
  const connectPacket = messages.find((m) => m.startsWith("40"));
  assert.ok(connectPacket, `CONNECT reply expected, got ${JSON.stringify(messages)}`);
  assert.equal(typeof JSON.parse(connectPacket.slice(2)).sid, "string");
  assert.ok(messages.includes('42["auth",{}]'), `auth event expected, got ${JSON.stringify(messages)}`);
  ws.messages = messages;
  return ws;
}

function waitClose(ws, ms = 3000) {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve([]);
  return once(ws, "close", ms);
}

async function assertServing(server = fx.server) {
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(3000) });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: "ok" });
}

// --- Engine.IO handshake errors -------------------------------------------------------------

test("unknown transport → 400 {code:0, message:'Transport unknown'}", async () => {
  for (const q of ["EIO=4&transport=foo", "EIO=4&transport=", "EIO=4"]) {
    const { status, body } = await getJson(`/socket.io/?${q}`);
    assert.equal(status, 400, q);
    assert.deepEqual(body, { code: 0, message: "Transport unknown" }, q);
  }
});

test("unknown sid → 400 {code:1, message:'Session ID unknown'}", async () => {
  const { status, body } = await getJson("/socket.io/?EIO=4&transport=polling&sid=does-not-exist");
  assert.equal(status, 400);
  assert.deepEqual(body, { code: 1, message: "Session ID unknown" });

  const post = await getJson("/socket.io/?EIO=4&transport=polling&sid=does-not-exist", { method: "POST", body: "40" });
  assert.equal(post.status, 400);
  assert.deepEqual(post.body, { code: 1, message: "Session ID unknown" });

  // Same for a WebSocket upgrade naming an unknown session.
  const ws = new WebSocket(`${fx.server.wsUrl}/socket.io/?EIO=4&transport=websocket&sid=does-not-exist`);
  ws.on("error", () => {});
  const [, res] = await once(ws, "unexpected-response", 3000);
  assert.equal(res.statusCode, 400);
  const chunks = [];
  for await (const c of res) chunks.push(c);
  assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { code: 1, message: "Session ID unknown" });
});

test("POST handshake → 400 {code:2, message:'Bad handshake method'}", async () => {
  const { status, body } = await getJson("/socket.io/?EIO=4&transport=polling", { method: "POST", body: "40" });
  assert.equal(status, 400);
  assert.deepEqual(body, { code: 2, message: "Bad handshake method" });
});

test("EIO=3 (and other versions) → 400 {code:5, message:'Unsupported protocol version'}", async () => {
  for (const q of ["EIO=3&transport=polling", "EIO=5&transport=polling", "transport=polling"]) {
    const { status, body } = await getJson(`/socket.io/?${q}`);
    assert.equal(status, 400, q);
    assert.deepEqual(body, { code: 5, message: "Unsupported protocol version" }, q);
  }
});

test("a valid polling handshake answers the open packet", async () => {
  const res = await fetch(`${fx.server.url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(3000) });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.equal(text[0], "0");
  const open = JSON.parse(text.slice(1));
  assert.deepEqual(Object.keys(open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.deepEqual(open.upgrades, ["websocket"]);
  assert.equal(open.pingInterval, 300);
  assert.equal(open.pingTimeout, 200);
  assert.equal(open.maxPayload, 1000000);
});

// --- malformed packets over a raw WebSocket ---------------------------------------------------

const MALFORMED_SOCKET_IO = [
  ["42{} (EVENT whose data is not an array)", "42{}"],
  ["42[] (EVENT without a name)", "42[]"],
  ['42[{"a":1}] (EVENT named by an object)', '42[{"a":1}]'],
  ["42[ (truncated JSON)", '42["unterminated'],
  ["49 (unknown socket.io packet type)", "49"],
  ["4 (empty socket.io packet)", "4"],
  ["45x-[] (BINARY_EVENT with a bad attachment count)", "45x-[]"],
];

for (const [name, packet] of MALFORMED_SOCKET_IO) {
  test(`malformed socket.io packet over raw ws closes the connection: ${name}`, async () => {
    const ws = await rawSocketIo();
    const closed = waitClose(ws, 3000);
    ws.send(packet);
    await closed;
    assert.equal(ws.readyState, WebSocket.CLOSED);
    await assertServing();
  });
}

const BAD_PLACEHOLDERS = [
  ["num past the attachments", '{"_placeholder":true,"num":5}'],
  ["negative num", '{"_placeholder":true,"num":-1}'],
  ["num as a string", '{"_placeholder":true,"num":"0"}'],
];

for (const [name, placeholder] of BAD_PLACEHOLDERS) {
  test(`a BINARY_EVENT with an invalid placeholder (${name}) closes the sender and reaches no one`, async () => {
    // socket.io-parser refuses such a packet ("illegal attachments"); relayed as is, it would make
    // every receiving socket.io-client drop its connection with "parse error".
    const member = await connect(fx.server, { transports: ["websocket"], reconnection: false });
    assert.equal(await member.timeout(3000).emitWithAck("join", "victims"), "victims");
    const memberEvents = [];
    member.on("disconnect", (r) => memberEvents.push(["disconnect", r]));
    member.on("room-message", (...a) => memberEvents.push(["room-message", a]));

    const ws = await rawSocketIo();
    const closed = waitClose(ws, 1000).then(
      () => true,
      () => false,
    );
    ws.send(`451-["to-room","victims",${placeholder}]`);
    ws.send(Buffer.from([1, 2, 3]));
    const senderClosed = await closed;
    await sleep(200);
    assert.deepEqual(
      { senderClosed, memberEvents, memberConnected: member.connected },
      { senderClosed: true, memberEvents: [], memberConnected: true },
    );
    ws.terminate();
  });
}

test("a binary frame with no BINARY_EVENT pending closes the connection", async () => {
  const ws = await rawSocketIo();
  const closed = waitClose(ws, 3000);
  ws.send(Buffer.from([4, 1, 2, 3]));
  await closed;
  await assertServing();
});

test("a raw BINARY_EVENT and BINARY_ACK are re-encoded with their attachments", async () => {
  const ws = await rawSocketIo();
  const start = ws.messages.length;
  const frames = [];
  ws.on("message", (d, isBinary) => {
    if (isBinary) frames.push(Buffer.from(d));
  });
  ws.send('451-["message",{"_placeholder":true,"num":0}]');
  ws.send(Buffer.from([1, 2, 3]));
  await within(
    (async () => {
      while (frames.length < 1) await sleep(5);
    })(),
    3000,
    "binary message-back",
  );
  assert.equal(ws.messages[start], '451-["message-back",{"_placeholder":true,"num":0}]');
  assert.ok(frames[0].equals(Buffer.from([1, 2, 3])));

  ws.send('452-7["message-with-ack",{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]');
  ws.send(Buffer.from([9]));
  ws.send(Buffer.from([8, 8]));
  await within(
    (async () => {
      while (frames.length < 3) await sleep(5);
    })(),
    3000,
    "binary ack",
  );
  const ack = ws.messages.filter((m) => typeof m === "string" && m.startsWith("46"));
  assert.deepEqual(ack, ['462-7[{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]']);
  assert.ok(frames[1].equals(Buffer.from([9])));
  assert.ok(frames[2].equals(Buffer.from([8, 8])));
  ws.close();
});

test("malformed Engine.IO packet over raw ws closes the connection", async () => {
  for (const packet of ["x", "9", ""]) {
    const ws = await rawSocketIo();
    const closed = waitClose(ws, 3000);
    ws.send(packet);
    await closed;
    assert.equal(ws.readyState, WebSocket.CLOSED, JSON.stringify(packet));
  }
  await assertServing();
});

test("a well-formed packet over raw ws still works (control for the malformed cases)", async () => {
  const ws = await rawSocketIo();
  const before = ws.messages.length;
  ws.send('42["message",1,"two"]');
  await within(
    (async () => {
      while (ws.messages.length === before) await sleep(5);
    })(),
    3000,
    "message-back",
  );
  assert.equal(ws.messages[before], '42["message-back",1,"two"]');
  ws.send('421["message-with-ack","x"]');
  await within(
    (async () => {
      while (ws.messages.length === before + 1) await sleep(5);
    })(),
    3000,
    "ack",
  );
  assert.equal(ws.messages[before + 1], '431["x"]');
  ws.close();
});

test("a malformed POST payload over polling is refused and closes the session", async () => {
  const base = `${fx.server.url}/socket.io/?EIO=4&transport=polling`;
  const hs = await fetch(base, { signal: AbortSignal.timeout(3000) });
  const sid = JSON.parse((await hs.text()).slice(1)).sid;
  const url = `${base}&sid=${encodeURIComponent(sid)}`;
  const ok = await fetch(url, { method: "POST", body: "40", signal: AbortSignal.timeout(3000) });
  assert.equal(ok.status, 200);
  await ok.text();
  const bad = await fetch(url, { method: "POST", body: "42{}", signal: AbortSignal.timeout(3000) });
  await bad.text();
  // The POST itself may be answered "ok" (the Engine.IO payload was fine; the Socket.IO packet
  // in it was not), but the session must be closed: the next poll gets a close packet or 400.
  const poll = await fetch(url, { signal: AbortSignal.timeout(3000) });
  const text = await poll.text();
  if (poll.status === 200) {
    assert.ok(text.split("\x1e").includes("1"), `close packet expected in ${JSON.stringify(text)}`);
  } else {
    assert.equal(poll.status, 400);
    assert.deepEqual(JSON.parse(text), { code: 1, message: "Session ID unknown" });
  }
  await assertServing();
});

// --- raw TCP --------------------------------------------------------------------------------

async function rawHttp(request, port = fx.server.port) {
  const sock = net.connect(port, "127.0.0.1");
  let response = "";
  sock.on("data", (d) => (response += d.toString("latin1")));
  sock.on("error", () => {});
  await once(sock, "connect", 3000);
  const closed = once(sock, "close", 3000);
  sock.write(request);
  await closed;
  return response;
}

test("a garbage HTTP request line gets 400 and the server keeps serving", async () => {
  for (const garbage of [
    "GARBAGE\r\n\r\n",
    "\x00\x01\x02 not http at all\r\n\r\n",
    "GET /healthz HTTP/9.9.9\r\nHost: x\r\n\r\n",
    "GET /healthz HTTP/1.1\r\nHost x no colon\r\n\r\n",
  ]) {
    const response = await rawHttp(garbage);
    assert.match(response, /^HTTP\/1\.1 400 /, `for ${JSON.stringify(garbage)} got ${JSON.stringify(response.slice(0, 80))}`);
    await assertServing();
  }
});

test("an oversized header block is refused and the server keeps serving", async () => {
  const response = await rawHttp(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`);
  assert.match(response, /^HTTP\/1\.1 4\d\d /, JSON.stringify(response.slice(0, 80)));
  await assertServing();
});

test("pipelined requests on one keep-alive connection are all answered", async () => {
  const sock = net.connect(fx.server.port, "127.0.0.1");
  let response = "";
  sock.on("data", (d) => (response += d.toString()));
  await once(sock, "connect", 3000);
  sock.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  await once(sock, "close", 3000);
  assert.equal(response.match(/HTTP\/1\.1 200 /g)?.length, 2, response);
});

// --- Origin ---------------------------------------------------------------------------------

async function wsWithOrigin(server, origin) {
  const ws = new WebSocket(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket`, { origin });
  ws.on("error", () => {});
  const outcome = await within(
    new Promise((resolve) => {
      ws.once("message", (d) => resolve({ open: d.toString() }));
      ws.once("unexpected-response", async (_req, res) => {
        const chunks = [];
        for await (const c of res) chunks.push(c);
        resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() });
      });
    }),
    3000,
    `websocket with Origin ${origin}`,
  );
  ws.terminate();
  return outcome;
}

test("a WebSocket upgrade from a foreign Origin → 403 {code:4, message:'Forbidden'}", async () => {
  const outcome = await wsWithOrigin(fx.server, "http://evil.example");
  assert.equal(outcome.status, 403);
  assert.deepEqual(JSON.parse(outcome.body), { code: 4, message: "Forbidden" });
});

test("a WebSocket upgrade from the same origin is accepted", async () => {
  const outcome = await wsWithOrigin(fx.server, `http://127.0.0.1:${fx.server.port}`);
  assert.equal(outcome.open?.[0], "0", JSON.stringify(outcome));
});

test("--allowed-origins http://evil.example accepts that Origin, still refuses others", async () => {
  const server = await startServer(["--allowed-origins", "http://evil.example"]);
  try {
    const allowed = await wsWithOrigin(server, "http://evil.example");
    assert.equal(allowed.open?.[0], "0", JSON.stringify(allowed));
    assert.equal(typeof JSON.parse(allowed.open.slice(1)).sid, "string");

    const other = await wsWithOrigin(server, "http://other.example");
    assert.equal(other.status, 403);
    assert.deepEqual(JSON.parse(other.body), { code: 4, message: "Forbidden" });

    // CORS for polling from the allowed origin.
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { Origin: "http://evil.example" },
      signal: AbortSignal.timeout(3000),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "http://evil.example");
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    await res.text();
  } finally {
    await server.stop();
    server.removeFiles();
  }
});

// --- heartbeat --------------------------------------------------------------------------------

test("a raw client that never answers pings is closed after pingInterval + pingTimeout", async () => {
  const ws = new WebSocket(`${fx.server.wsUrl}/socket.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  const messages = [];
  ws.on("message", (d) => messages.push(d.toString()));
  await once(ws, "open", 3000);
  const started = Date.now();
  await waitClose(ws, 3000); // 300 + 200 ms, with slack for a sanitizer build
  const elapsed = Date.now() - started;
  assert.ok(messages.includes("2"), `a ping was sent: ${JSON.stringify(messages)}`);
  assert.ok(elapsed >= 400, `closed after ${elapsed} ms, before the ping timeout could expire`);
});

test("a raw client that joins a namespace and answers pings stays connected", async () => {
  const ws = await rawSocketIo();
  let pings = 0;
  ws.on("message", (d) => {
    if (d.toString() === "2") {
      pings++;
      ws.send("3");
    }
  });
  await sleep(1500); // past connectTimeout (1000 ms) and several ping cycles
  assert.equal(ws.readyState, WebSocket.OPEN);
  assert.ok(pings >= 3, `${pings} pings in 1.5 s`);
  ws.close();
});

test("a raw client that answers pings but never joins a namespace is closed after connectTimeout", async () => {
  const ws = new WebSocket(`${fx.server.wsUrl}/socket.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  ws.on("message", (d) => {
    if (d.toString() === "2") ws.send("3");
  });
  await once(ws, "open", 3000);
  const started = Date.now();
  await waitClose(ws, 3000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900, `closed after ${elapsed} ms; connectTimeout is 1000 ms`);
});
