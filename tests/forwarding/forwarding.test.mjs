// Session forwarding (issue #14): two conformance-mode replicas on one Redis broker, spoken to in
// raw Engine.IO over HTTP and WebSocket, so each request goes to the replica the test chooses.
// A session opened on `owner` is used through `other`, which forwards every request to the
// owner's internal listener (announced over the broker). The official clients behind a
// round-robin HAProxy are tests/cluster and the protocol.cluster suite; this one pins down the
// forwarding itself: long-polls held through a hop, aborts, the joined WebSocket upgrade, an
// owner that is gone, the caps and who may use the internal listener.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import http from "node:http";
import WebSocket from "ws";
import { Chatd } from "../lib/chatd.mjs";
import { sleep, until, within } from "../lib/wait.mjs";

const redis = new URL(process.env.TEST_REDIS_URL || "redis://127.0.0.1:56379");
const MAX_FORWARDS = 3;

function replica(name) {
  return new Chatd({
    name,
    args: (c) => ["--conformance", "--port", String(c.port), "--host", c.host, "--ping-interval", "3000",
                  "--ping-timeout", "3000", "--max-outbox-bytes", "65536"],
    env: {
      SCALABLE: "true", REDIS_HOST: redis.hostname, REDIS_PORT: redis.port, REPLICA_NAME: name,
      CHAT_CLUSTER_HEARTBEAT_MS: "300", CHAT_MAX_FORWARDS: String(MAX_FORWARDS), LOG_LEVEL: "debug",
    },
    dirPrefix: "chatd-forwarding-",
  });
}

const owner = replica("owner");
const other = replica("other");
const tags = {};
const internalPorts = {};

async function tagOf(server) {
  const m = await server.waitForOutput(/session tag (\S+) \(.*internal listener: [^:]+:(\d+)\)/);
  return { tag: m[1], port: Number(m[2]) };
}

const path = (sid) => `/engine.io/?EIO=4&transport=polling${sid ? `&sid=${encodeURIComponent(sid)}` : ""}`;

async function handshake(server) {
  const res = await fetch(server.url + path());
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.equal(body[0], "0");
  return JSON.parse(body.slice(1)).sid;
}

async function poll(server, sid, { signal } = {}) {
  const res = await fetch(server.url + path(sid), { signal });
  return { status: res.status, body: await res.text() };
}

async function post(server, sid, body) {
  const res = await fetch(server.url + path(sid), { method: "POST", body });
  return { status: res.status, body: await res.text() };
}

// A request with headers fetch() will not send (Upgrade, Content-Length that lies, odd methods).
function rawRequest(server, method, target, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: server.host, port: server.port, method, path: target, headers, agent: false });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, body: "" });
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

// Polls until a packet other than a ping arrives (answering pings, as a client does).
async function nextMessage(server, sid) {
  for (let i = 0; i < 10; i++) {
    const { status, body } = await poll(server, sid);
    assert.equal(status, 200, body);
    const packets = body.split("\x1e").filter((p) => p !== "2");
    if (body.split("\x1e").includes("2")) await post(server, sid, "3");
    if (packets.length) return packets;
  }
  throw new Error("no message after 10 polls");
}

before(async () => {
  await Promise.all([owner.start(), other.start()]);
  for (const [name, server] of [["owner", owner], ["other", other]]) {
    const { tag, port } = await tagOf(server);
    tags[name] = tag;
    internalPorts[name] = port;
  }
  // Each has heard the other's announcement.
  await owner.waitForOutput(`holds sessions tagged ${tags.other}`);
  await other.waitForOutput(`holds sessions tagged ${tags.owner}`);
});

after(async () => {
  await Promise.all([owner.stop(), other.stop()].map((p) => p.catch(() => {})));
  owner.removeFiles();
  other.removeFiles();
});

describe("a polling session used through another replica", () => {
  test("ids carry their owner's tag, and the other replica serves the session's requests", async () => {
    const sid = await handshake(owner);
    assert.ok(sid.startsWith(tags.owner), `${sid} starts with ${tags.owner}`);
    assert.ok(sid.length >= tags.owner.length + 24, "at least 144 random bits after the tag");
    assert.deepEqual(await post(other, sid, "4hello"), { status: 200, body: "ok" });
    assert.deepEqual(await nextMessage(other, sid), ["4hello"]);
    // And back on the owner itself: one session, whichever replica the requests reach.
    assert.deepEqual(await post(owner, sid, "4again"), { status: 200, body: "ok" });
    assert.deepEqual(await nextMessage(other, sid), ["4again"]);
    await post(other, sid, "1");
  });

  test("a long-poll held through the forwarder is answered when the owner has a packet", async () => {
    const sid = await handshake(owner);
    const started = Date.now();
    const pending = poll(other, sid);
    await sleep(300);
    assert.deepEqual(await post(owner, sid, "4late"), { status: 200, body: "ok" });
    const { status, body } = await within(pending, 2000, "the forwarded long-poll");
    assert.equal(status, 200);
    assert.equal(body, "4late");
    assert.ok(Date.now() - started >= 300, "it waited for the packet");
    await post(owner, sid, "1");
  });

  test("a client that gives up a forwarded long-poll ends the session at its owner", async () => {
    const sid = await handshake(owner);
    const abort = new AbortController();
    const pending = poll(other, sid, { signal: abort.signal }).catch((e) => e);
    await sleep(200);
    abort.abort();
    assert.equal((await pending).name, "AbortError");
    // The owner saw the aborted poll as the transport closing: the session is gone.
    await until(async () => (await poll(owner, sid)).status === 400, 3000, "the owner to close the session");
    await owner.waitForOutput(`session ${sid}: polling request aborted`);
  });

  test("a WebSocket upgrade that lands on the other replica is joined to the owner", async () => {
    const sid = await handshake(owner);
    const ws = new WebSocket(`${other.wsUrl}/engine.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`);
    const frames = [];
    let wake = () => {};
    ws.on("message", (data) => {
      frames.push(data.toString());
      wake();
    });
    const next = async (what) => {
      await until(() => frames.length > 0, 3000, what);
      return frames.shift();
    };
    await within(new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); }), 3000, "ws open");
    ws.send("2probe");
    assert.equal(await next("3probe"), "3probe");
    ws.send("5");
    ws.send("4over websocket");
    assert.equal(await next("the echo"), "4over websocket");
    // Polling is over for this session: a GET now is a transport mismatch at the owner.
    assert.equal((await poll(owner, sid)).status, 400);
    // Still the owner's session: a packet the owner queues comes down the joined WebSocket.
    ws.send("4second");
    assert.equal(await next("the second echo"), "4second");
    ws.close();
    await until(async () => (await poll(owner, sid)).status === 400, 3000, "the session to end with its WebSocket");
    assert.match(owner.output(), new RegExp(`session ${sid} closed`));
  });
});

describe("a client that never reads", () => {
  async function forwardsInFlight(server) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^chatd_forwards_in_flight (\S+)$/m.exec(text)?.[1]);
  }

  test("a WebSocket joined through the other replica: the owner drops the slow client, and the join lets go soon after", async () => {
    const sid = await handshake(owner);
    const ws = new WebSocket(`${other.wsUrl}/engine.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`);
    ws.on("error", () => {});
    const frames = [];
    ws.on("message", (data) => frames.push(data.toString()));
    await within(new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); }), 3000, "ws open");
    ws.send("2probe");
    await until(() => frames.includes("3probe"), 3000, "3probe");
    ws.send("5");
    await until(async () => (await forwardsInFlight(other)) === 1, 8000, "the joined WebSocket to hold the only forwarding slot");

    // Stops reading, and sends what the owner echoes back: 24 MiB, more than the kernel buffers
    // of both hops and the owner's outbox (--max-outbox-bytes 65536) hold.
    ws.pause();
    const packet = "4" + "x".repeat(16 * 1024);
    for (let i = 0; i < 1536; i++) ws.send(packet);
    await owner.waitForOutput(`session ${sid} closed: slow client`, { ms: 30000 });
    const slowAt = Date.now();

    // Meanwhile the other replica serves everyone else.
    const bystander = await handshake(owner);
    assert.deepEqual(await post(other, bystander, "4still here"), { status: 200, body: "ok" });
    assert.deepEqual(await nextMessage(other, bystander), ["4still here"]);

    // The owner closes its end; the join ends within the 5 s grace after one direction has
    // ended, not when the direction still open times out (here the idle timeout, pingInterval +
    // pingTimeout + 5 s = 11 s; 50 s with the defaults).
    await until(async () => (await forwardsInFlight(other)) === 0, 15000, "the forwarding slot to be released");
    const heldFor = Date.now() - slowAt;
    assert.ok(heldFor < 9000, `the join let go ${heldFor} ms after the owner dropped the client`);
    ws.terminate();
  });
});

describe("what is not forwarded", () => {
  test("an id no replica holds is answered at once, as the reference server does", async () => {
    for (const sid of ["nosuchtagAAAAAAAAAAAAAAAAAAAAAAAA", `${tags.other}AAAAAAAAAAAAAAAAAAAAAAAA`, "x"]) {
      const started = Date.now();
      const res = await fetch(other.url + path(sid));
      assert.equal(res.status, 400, sid);
      assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
      assert.ok(Date.now() - started < 1000);
    }
  });

  test("the internal listener serves only requests with its replica's key, and only for sessions", async () => {
    const internal = `http://127.0.0.1:${internalPorts.owner}`;
    const sid = await handshake(owner);
    // No key: refused.
    let res = await fetch(internal + path(sid));
    assert.equal(res.status, 403);
    // Someone else's key (a stale peer, or a guess): the session is unknown there.
    res = await fetch(internal + path(sid), { headers: { "X-Chatd-Forward-Key": "x".repeat(43), "X-Chatd-Client": "127.0.0.1" } });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
    // Nothing but the engines is routed there.
    res = await fetch(`${internal}/api/session`);
    assert.equal(res.status, 404);
    // A client cannot pass its own forwarding headers through the public listener either: the
    // forwarder replaces them, so the owner still serves the session (and the key stays unknown).
    res = await fetch(other.url + path(sid), {
      method: "POST", body: "4spoof",
      headers: { "X-Chatd-Forward-Key": "forged", "X-Chatd-Client": "10.9.9.9", "X-Chatd-Client-Https": "1" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("strict-transport-security"), null, "not taken for https");
    await post(owner, sid, "1");
  });

  test(`more than CHAT_MAX_FORWARDS (${MAX_FORWARDS}) requests in flight are refused with Retry-After`, async () => {
    const sids = [];
    for (let i = 0; i < MAX_FORWARDS + 1; i++) sids.push(await handshake(owner));
    const held = sids.slice(0, MAX_FORWARDS).map((sid) => poll(other, sid));
    await sleep(300);
    const res = await fetch(other.url + path(sids[MAX_FORWARDS]));
    assert.equal(res.status, 503);
    assert.ok(res.headers.get("retry-after"));
    assert.equal((await res.json()).code, 3);
    // Released once the held polls are answered.
    for (const sid of sids.slice(0, MAX_FORWARDS)) await post(owner, sid, "4go");
    await Promise.all(held);
    assert.equal((await post(other, sids[MAX_FORWARDS], "4now")).status, 200);
    for (const sid of sids) await post(owner, sid, "1");
  });
});

describe("descriptors", () => {
  test("with few of them, clients' connections get half, other replicas' and the upstream connections a quarter each", async () => {
    const fds = 1024;
    const small = new Chatd({
      name: "small",
      prefix: ["prlimit", `--nofile=${fds}:${fds}`, "--"],
      args: (c) => ["--conformance", "--port", String(c.port), "--host", c.host],
      env: {
        SCALABLE: "true", REDIS_HOST: redis.hostname, REDIS_PORT: redis.port, REPLICA_NAME: "small",
        CHAT_MAX_FORWARDS: "100000", CHAT_STORE_THREADS: "4",
      },
      dirPrefix: "chatd-forwarding-",
    });
    try {
      await small.start();
      const available = fds - (64 + 4 * 4);  // the reserve: 64 and 4 per store thread
      const [, clients] = await small.waitForOutput(/listening on \S+ with \d+ event loop\(s\), up to (\d+) connections/);
      const [, peers, forwards, perClient] = await small.waitForOutput(
        /forwarding: up to (\d+) connections from other replicas, (\d+) forwarded requests at once \((\d+) per client\)/);
      assert.equal(Number(clients), Math.floor(available / 2));
      assert.equal(Number(peers), Math.floor(available / 4));
      // Kept idle upstream connections (64 per event loop at most) come out of the forwards' share.
      assert.ok(Number(forwards) < Math.floor(available / 4), `${forwards} forwards at once`);
      assert.ok(Number(forwards) > 0);
      assert.match(small.output(), /CHAT_MAX_FORWARDS=100000 is more than the descriptor limit leaves room for/);
      // So few that one client must not take them all.
      assert.equal(Number(perClient), Math.max(2, Math.floor(Number(forwards) / 8)));
    } finally {
      await small.stop().catch(() => {});
      small.removeFiles();
    }
  });
});

describe("what the owner decides", () => {
  test("a POST over maxPayload through the other replica gets 413 and closes the session, as directly", async () => {
    const sid = await handshake(owner);
    // Declared larger than maxPayload (1,000,000): refused by its length, its body never sent.
    const res = await rawRequest(other, "POST", path(sid), { "Content-Length": "2000000", "Content-Type": "text/plain" }, "4x");
    assert.equal(res.status, 413);
    await until(async () => (await poll(owner, sid)).status === 400, 3000, "the owner to close the session");
  });

  test("a chunked POST over maxPayload through the other replica gets 413 and closes the session too", async () => {
    const sid = await handshake(owner);
    // No Content-Length: the forwarder finds out while reading, answers 413 itself, and tells the owner.
    const res = await rawRequest(other, "POST", path(sid), { "Content-Type": "text/plain" }, "4" + "x".repeat(1_100_000));
    assert.equal(res.status, 413);
    await until(async () => (await poll(owner, sid)).status === 400, 3000, "the owner to close the session");
  });

  test("an upgrade the owner refuses gets the owner's whole answer", async () => {
    const sid = `${tags.owner}${"A".repeat(24)}`;  // the owner's tag, but no such session
    const res = await rawRequest(other, "GET", `/engine.io/?EIO=4&transport=websocket&sid=${sid}`, {
      Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    });
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), { code: 1, message: "Session ID unknown" });
  });

  test("methods other than GET and POST are refused before any hop", async () => {
    const sid = await handshake(owner);
    const res = await rawRequest(other, "PUT", path(sid), {}, "");
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).code, 3);
    await post(owner, sid, "1");
  });
});

describe("a replica that drains", () => {
  test("answers the forwarded long-polls it holds, with Connection: close, before it exits", async () => {
    const third = replica("third");
    await third.start();
    const { tag } = await tagOf(third);
    await third.waitForOutput(`holds sessions tagged ${tags.owner}`);
    await owner.waitForOutput(`holds sessions tagged ${tag}`);
    const sid = await handshake(owner);
    const pending = rawRequest(third, "GET", path(sid), {});
    await sleep(300);
    third.signal("SIGTERM");
    await sleep(300);
    assert.ok(third.running, "still running: a forwarded long-poll is in flight");
    assert.deepEqual(await post(owner, sid, "4bye"), { status: 200, body: "ok" });
    const res = await within(pending, 3000, "the held long-poll");
    assert.equal(res.status, 200);
    assert.equal(res.body, "4bye");
    assert.equal(res.headers.connection, "close");
    const exit = await third.waitForExit(10_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    // The session lives on at its owner.
    assert.deepEqual(await post(owner, sid, "1"), { status: 200, body: "ok" });
    third.removeFiles();
  });
});

describe("an owner that is gone", () => {
  test("its sessions get Session ID unknown at once from the other replica", async () => {
    const sid = await handshake(owner);
    const pending = poll(other, sid);
    await sleep(200);
    await owner.kill();
    // The long-poll that was waiting through the hop ends at once, as an unknown session.
    const waiting = await within(pending, 3000, "the held long-poll");
    assert.equal(waiting.status, 400);
    const started = Date.now();
    const res = await fetch(other.url + path(sid));
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
    assert.ok(Date.now() - started < 2500, `answered in ${Date.now() - started} ms`);
  });
});
