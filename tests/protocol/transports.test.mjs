// Connect, emit/receive and acks over each transport: websocket only, polling only, and
// polling upgraded to websocket.
import assert from "node:assert/strict";
import { test } from "node:test";
import { once, sleep, until, within } from "../lib/wait.mjs";
import { connect, record, useServer } from "./setup.mjs";

const fx = useServer();

async function echoRoundTrip(socket) {
  const back = once(socket, "message-back");
  socket.emit("message", "hello", 42, { nested: ["x", true, null] });
  assert.deepEqual(await back, ["hello", 42, { nested: ["x", true, null] }]);

  const acked = await within(
    new Promise((resolve) => socket.emit("message-with-ack", "ack me", 7, (...args) => resolve(args))),
    3000,
    "ack of message-with-ack",
  );
  assert.deepEqual(acked, ["ack me", 7]);
}

test("websocket only: connect, emit/receive, ack", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  assert.equal(socket.io.engine.transport.name, "websocket");
  assert.equal(typeof socket.id, "string");
  assert.ok(socket.id.length > 0);
  assert.deepEqual(await socket.authEvent, [{}]);
  await echoRoundTrip(socket);
  // Still on websocket: nothing to upgrade from.
  assert.equal(socket.io.engine.transport.name, "websocket");
});

test("polling only: connect, emit/receive, ack, burst arrives in order", async () => {
  const socket = await connect(fx.server, { transports: ["polling"] });
  assert.equal(socket.io.engine.transport.name, "polling");
  assert.deepEqual(await socket.authEvent, [{}]);
  await echoRoundTrip(socket);

  // A burst: the client batches these into few POSTs, the server answers through long-polls.
  const seen = record(socket, "message-back");
  const N = 50;
  for (let i = 0; i < N; i++) socket.emit("message", i, `m${i}`);
  await until(() => seen.length >= N, 5000, `${N} message-back events (got ${seen.length})`);
  await sleep(100); // nothing extra, no duplicates
  assert.equal(seen.length, N);
  assert.deepEqual(
    seen,
    Array.from({ length: N }, (_, i) => [i, `m${i}`]),
  );

  // Acks in a burst resolve in order as well.
  const acks = await within(
    Promise.all(Array.from({ length: 20 }, (_, i) => socket.emitWithAck("message-with-ack", i))),
    5000,
    "20 acks over polling",
  );
  assert.deepEqual(acks, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(socket.io.engine.transport.name, "polling");
});

test("polling with upgrade: transport becomes websocket and messages still flow", async () => {
  let initialTransport;
  let upgraded;
  let handshake;
  // Default transports: polling first, then the upgrade to websocket.
  const socket = await connect(fx.server, {
    onCreate: (s) => {
      const engine = s.io.engine;
      initialTransport = engine.transport.name;
      upgraded = once(engine, "upgrade", 5000);
      handshake = once(engine, "handshake", 5000);
    },
  });
  const engine = socket.io.engine;
  assert.equal(initialTransport, "polling");
  const [open] = await handshake; // the Engine.IO open packet
  assert.deepEqual(open.upgrades, ["websocket"]);
  assert.equal(open.pingInterval, 300); // --conformance defaults
  assert.equal(open.pingTimeout, 200);
  assert.equal(open.maxPayload, 1000000);
  assert.equal(typeof open.sid, "string");
  const [transport] = await upgraded;
  assert.equal(transport.name, "websocket");
  assert.equal(engine.transport.name, "websocket");
  assert.equal(engine.readyState, "open");
  assert.deepEqual(await socket.authEvent, [{}]);
  await echoRoundTrip(socket);

  const seen = record(socket, "message-back");
  for (let i = 0; i < 20; i++) socket.emit("message", i);
  await until(() => seen.length >= 20, 3000, "20 message-back events after upgrade");
  assert.deepEqual(
    seen,
    Array.from({ length: 20 }, (_, i) => [i]),
  );
});

test("messages (text and binary) emitted during the upgrade are neither lost nor reordered", async () => {
  const socket = await connect(fx.server, {});
  const seen = record(socket, "message-back");
  const N = 100;
  const argsOf = (i) => (i % 3 === 0 ? [i, { bin: Buffer.from([i, 255 - i]) }] : [i]);
  // Emit continuously across the polling → websocket switch.
  for (let i = 0; i < N; i++) {
    socket.emit("message", ...argsOf(i));
    if (i % 10 === 0) await sleep(5);
  }
  await until(() => seen.length >= N, 5000, `${N} message-back events across upgrade (got ${seen.length})`);
  await sleep(100);
  assert.equal(seen.length, N);
  seen.forEach((args, i) => {
    const want = argsOf(i);
    assert.equal(args[0], i, `message ${i} out of order: got ${args[0]}`);
    if (want.length === 2) assert.ok(Buffer.from(args[1].bin).equals(want[1].bin), `binary of message ${i}`);
    else assert.equal(args.length, 1);
  });
  await until(() => socket.io.engine.transport.name === "websocket", 5000, "upgrade to websocket");
});
