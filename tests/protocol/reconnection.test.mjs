// Server-side closes: "close-transport" (the client reconnects by itself) and
// "server-disconnect" (it must not), plus heartbeats keeping an idle connection open.
import assert from "node:assert/strict";
import { test } from "node:test";
import { once, sleep, until } from "../lib/wait.mjs";
import { connect, record, useServer } from "./setup.mjs";

const fx = useServer();

for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
  const label = transports.join("+");

  test(`close-transport over ${label}: "transport close", automatic reconnection with a new id`, async () => {
    const socket = await connect(fx.server, { transports });
    if (transports.length === 2) await until(() => socket.io.engine.transport.name === "websocket", 5000, "upgrade");
    const firstId = socket.id;
    const firstEngineId = socket.io.engine.id;
    const disconnects = record(socket, "disconnect");
    const connects = record(socket, "connect");
    const reconnected = once(socket.io, "reconnect", 5000);
    const connectedAgain = once(socket, "connect", 5000);

    socket.emit("close-transport");
    const [attempts] = await reconnected;
    await connectedAgain;

    assert.equal(disconnects.length, 1);
    assert.equal(disconnects[0][0], "transport close");
    assert.equal(connects.length, 1);
    assert.ok(attempts >= 1, `reconnect after ${attempts} attempt(s)`);
    assert.equal(socket.connected, true);
    assert.notEqual(socket.id, firstId, "a reconnected socket gets a new id");
    assert.notEqual(socket.io.engine.id, firstEngineId, "a new Engine.IO session");
    assert.ok(!socket.recovered, "no connection state recovery");

    // The new connection works: echo and ack.
    const back = once(socket, "message-back");
    socket.emit("message", "after reconnect");
    assert.deepEqual(await back, ["after reconnect"]);
    assert.equal(await socket.timeout(3000).emitWithAck("message-with-ack", "ack after reconnect"), "ack after reconnect");
  });

  test(`server-disconnect over ${label}: "io server disconnect", no reconnection`, async () => {
    const socket = await connect(fx.server, { transports });
    const disconnects = record(socket, "disconnect");
    const connects = record(socket, "connect");
    const attempts = record(socket.io, "reconnect_attempt");

    const disconnected = once(socket, "disconnect", 3000);
    socket.emit("server-disconnect");
    const [reason] = await disconnected;
    assert.equal(reason, "io server disconnect");

    await sleep(700); // several reconnection delays' worth
    assert.equal(disconnects.length, 1);
    assert.equal(connects.length, 0, "the client must not reconnect after io server disconnect");
    assert.equal(attempts.length, 0);
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false);
  });
}

test("an explicit connect() after server-disconnect joins again", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  const firstId = socket.id;
  const disconnected = once(socket, "disconnect", 3000);
  socket.emit("server-disconnect");
  assert.deepEqual(await disconnected, ["io server disconnect", undefined]);

  const connected = once(socket, "connect", 3000);
  socket.connect();
  await connected;
  assert.notEqual(socket.id, firstId);
  const back = once(socket, "message-back");
  socket.emit("message", 1);
  assert.deepEqual(await back, [1]);
});

test("idle connections survive many heartbeats (pingInterval 300 ms, pingTimeout 200 ms)", async () => {
  const ws = await connect(fx.server, { transports: ["websocket"] });
  const polling = await connect(fx.server, { transports: ["polling"] });
  const wsDrops = record(ws, "disconnect");
  const pollingDrops = record(polling, "disconnect");
  const pings = record(ws.io.engine, "ping");
  await sleep(1800); // about six ping cycles
  assert.deepEqual(wsDrops, []);
  assert.deepEqual(pollingDrops, []);
  assert.ok(pings.length >= 4, `websocket client saw ${pings.length} pings in 1.8 s`);
  assert.equal(ws.connected, true);
  assert.equal(polling.connected, true);
  for (const s of [ws, polling]) {
    const back = once(s, "message-back");
    s.emit("message", "still here");
    assert.deepEqual(await back, ["still here"]);
  }
});
