// Room broadcasts reach exactly the room's members: to-room (io.to(room), sender included when a
// member) and to-room-except-me (socket.to(room), sender excluded).
import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep, until } from "../lib/wait.mjs";
import { connect, record, useServer } from "./setup.mjs";

// Rooms, not heartbeats (engineio-raw and transports test those). The conformance heartbeat
// (a ping every 300 ms, 200 ms to answer) could close a polling client of the 20-client test
// whose next poll came late on a loaded sanitizer build (a CI run lost one that way), so this
// file's server pings slowly.
const fx = useServer(["--ping-interval", "5000", "--ping-timeout", "10000"]);

/** Four clients on mixed transports, two of which (a, b) join `room`. */
async function fourClients(room, nsp = "/") {
  const [a, b, c, d] = await Promise.all([
    connect(fx.server, { nsp, transports: ["websocket"] }),
    connect(fx.server, { nsp, transports: ["polling"] }),
    connect(fx.server, { nsp, transports: ["websocket"] }),
    connect(fx.server, { nsp, transports: ["polling"] }),
  ]);
  assert.equal(await a.timeout(3000).emitWithAck("join", room), room);
  assert.equal(await b.timeout(3000).emitWithAck("join", room), room);
  const got = { a: record(a, "room-message"), b: record(b, "room-message"), c: record(c, "room-message"), d: record(d, "room-message") };
  return { a, b, c, d, got };
}

test("to-room reaches exactly the two members once; non-members get nothing", async () => {
  const { a, got } = await fourClients("r1");
  a.emit("to-room", "r1", "hello", { n: 1 });
  await until(() => got.a.length >= 1 && got.b.length >= 1, 3000, "room-message at both members");
  await sleep(500);
  assert.deepEqual(got.a, [["hello", { n: 1 }]]);
  assert.deepEqual(got.b, [["hello", { n: 1 }]]);
  assert.deepEqual(got.c, []);
  assert.deepEqual(got.d, []);
});

test("to-room-except-me reaches only the other member", async () => {
  const { a, b, got } = await fourClients("r1");
  a.emit("to-room-except-me", "r1", "not for a");
  await until(() => got.b.length >= 1, 3000, "room-message at b");
  await sleep(500);
  assert.deepEqual(got.a, []);
  assert.deepEqual(got.b, [["not for a"]]);
  assert.deepEqual(got.c, []);
  assert.deepEqual(got.d, []);

  // And the other way round, from the polling member.
  b.emit("to-room-except-me", "r1", "not for b");
  await until(() => got.a.length >= 1, 3000, "room-message at a");
  await sleep(300);
  assert.deepEqual(got.a, [["not for b"]]);
  assert.deepEqual(got.b, [["not for a"]]);
  assert.deepEqual(got.c, []);
  assert.deepEqual(got.d, []);
});

test("to-room from a non-member reaches the members only (not the sender)", async () => {
  const { c, got } = await fourClients("r1");
  c.emit("to-room", "r1", "from outside");
  await until(() => got.a.length >= 1 && got.b.length >= 1, 3000, "room-message at both members");
  await sleep(500);
  assert.deepEqual(got.a, [["from outside"]]);
  assert.deepEqual(got.b, [["from outside"]]);
  assert.deepEqual(got.c, []);
  assert.deepEqual(got.d, []);
});

test("leave removes a member; a room with no members reaches nobody", async () => {
  const { a, b, c, got } = await fourClients("r1");
  assert.equal(await b.timeout(3000).emitWithAck("leave", "r1"), "r1");
  c.emit("to-room", "r1", "after b left");
  await until(() => got.a.length >= 1, 3000, "room-message at a");
  await sleep(500);
  assert.deepEqual(got.a, [["after b left"]]);
  assert.deepEqual(got.b, []);

  assert.equal(await a.timeout(3000).emitWithAck("leave", "r1"), "r1");
  c.emit("to-room", "r1", "empty room");
  c.emit("to-room", "never-joined", "no such room");
  await sleep(500);
  assert.deepEqual(got.a, [["after b left"]]);
  assert.deepEqual(got.b, []);
  assert.deepEqual(got.c, []);
  assert.deepEqual(got.d, []);
});

test("a disconnected member is removed from its rooms", async () => {
  const { a, b, c, got } = await fourClients("r1");
  b.disconnect();
  await sleep(200);
  c.emit("to-room", "r1", "b is gone");
  await until(() => got.a.length >= 1, 3000, "room-message at a");
  await sleep(300);
  assert.deepEqual(got.a, [["b is gone"]]);
  assert.deepEqual(got.b, []);
  assert.equal(a.connected, true);
});

test("several rooms: a broadcast to one does not leak into another; order is kept", async () => {
  const { a, b, c, d, got } = await fourClients("r1");
  assert.equal(await c.timeout(3000).emitWithAck("join", "r2"), "r2");
  assert.equal(await d.timeout(3000).emitWithAck("join", "r2"), "r2");
  assert.equal(await a.timeout(3000).emitWithAck("join", "r2"), "r2"); // a is in both rooms
  for (let i = 0; i < 10; i++) {
    b.emit("to-room", "r1", "r1", i);
    d.emit("to-room", "r2", "r2", i);
  }
  const r1 = Array.from({ length: 10 }, (_, i) => ["r1", i]);
  const r2 = Array.from({ length: 10 }, (_, i) => ["r2", i]);
  await until(
    () => got.a.length >= 20 && got.b.length >= 10 && got.c.length >= 10 && got.d.length >= 10,
    5000,
    "all room messages",
  );
  await sleep(300);
  assert.deepEqual(got.b, r1);
  assert.deepEqual(got.c, r2);
  assert.deepEqual(got.d, r2);
  assert.equal(got.a.length, 20, "a is in both rooms and gets each message once");
  assert.deepEqual(got.a.filter((m) => m[0] === "r1"), r1);
  assert.deepEqual(got.a.filter((m) => m[0] === "r2"), r2);
});

test("room broadcast with binary arguments", async () => {
  const { a, b, got } = await fourClients("bin");
  a.emit("to-room-except-me", "bin", { data: Buffer.from([0, 1, 2, 254, 255]) }, Buffer.from("raw"));
  await until(() => got.b.length >= 1, 3000, "binary room-message at b");
  await sleep(200);
  assert.equal(got.b.length, 1);
  const [obj, raw] = got.b[0];
  assert.ok(Buffer.from(obj.data).equals(Buffer.from([0, 1, 2, 254, 255])));
  assert.ok(Buffer.from(raw).equals(Buffer.from("raw")));
  assert.deepEqual(got.a, []);
  assert.deepEqual(got.c, []);
});

test("rooms in /custom are separate from rooms in /", async () => {
  const main = await fourClients("r1", "/");
  const custom = await fourClients("r1", "/custom");
  custom.a.emit("to-room", "r1", "custom only");
  await until(() => custom.got.a.length >= 1 && custom.got.b.length >= 1, 3000, "custom members");
  await sleep(400);
  assert.deepEqual(custom.got.a, [["custom only"]]);
  assert.deepEqual(custom.got.b, [["custom only"]]);
  for (const k of ["a", "b", "c", "d"]) assert.deepEqual(main.got[k], [], `/ client ${k}`);
  assert.deepEqual(custom.got.c, []);
  assert.deepEqual(custom.got.d, []);
});

test("20 clients on mixed transports each broadcast 20 messages: everyone gets all 400, in per-sender order", async () => {
  const N = 20;
  const M = 20;
  const transportsOf = (i) => [["polling"], ["websocket"], ["polling", "websocket"]][i % 3];
  const clients = await Promise.all(Array.from({ length: N }, (_, i) => connect(fx.server, { transports: transportsOf(i) })));
  const joined = await Promise.all(clients.map((c) => c.timeout(3000).emitWithAck("join", "crowd")));
  assert.deepEqual(joined, Array(N).fill("crowd"));
  const got = clients.map((c) => record(c, "room-message"));
  for (let k = 0; k < M; k++) {
    clients.forEach((c, i) => c.emit("to-room", "crowd", i, k, i % 2 ? Buffer.from([i, k]) : "text"));
  }
  await until(() => got.every((g) => g.length >= N * M), 15000, "every client to get every message");
  await sleep(300);
  got.forEach((g, r) => {
    assert.equal(g.length, N * M, `client ${r} got ${g.length} messages`);
    const next = new Array(N).fill(0);
    for (const [i, k, extra] of g) {
      assert.equal(k, next[i], `client ${r}: message ${k} from ${i} out of order (expected ${next[i]})`);
      next[i]++;
      if (i % 2) assert.ok(Buffer.from(extra).equals(Buffer.from([i, k])), `client ${r}: binary from ${i}#${k}`);
      else assert.equal(extra, "text");
    }
  });
});
