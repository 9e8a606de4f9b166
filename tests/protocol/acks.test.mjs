// Acknowledgements both ways: client → server (message-with-ack) and server → client
// (request-ack makes the server emit server-ack-request with an ack, then relay the reply).
import assert from "node:assert/strict";
import { test } from "node:test";
import { once, sleep, within } from "../lib/wait.mjs";
import { connect, record, useServer } from "./setup.mjs";

const fx = useServer();

for (const transports of [["websocket"], ["polling"]]) {
  const label = transports.join("+");

  test(`client → server ack with a callback over ${label}`, async () => {
    const socket = await connect(fx.server, { transports });
    const args = await within(
      new Promise((resolve) => socket.emit("message-with-ack", "a", 1, { b: [2, 3] }, null, (...r) => resolve(r))),
      3000,
      "ack",
    );
    assert.deepEqual(args, ["a", 1, { b: [2, 3] }, null]);

    // An ack with no arguments besides the callback: acked with no arguments.
    const empty = await within(
      new Promise((resolve) => socket.emit("message-with-ack", (...r) => resolve(r))),
      3000,
      "empty ack",
    );
    assert.deepEqual(empty, []);
  });

  test(`client → server ack with emitWithAck over ${label}`, async () => {
    const socket = await connect(fx.server, { transports });
    assert.equal(await socket.timeout(3000).emitWithAck("message-with-ack", "single"), "single");
    assert.deepEqual(await socket.timeout(3000).emitWithAck("message-with-ack", { x: 1, y: [true] }), {
      x: 1,
      y: [true],
    });
    // Many outstanding acks, each matched to its own id.
    const replies = await within(
      Promise.all(Array.from({ length: 30 }, (_, i) => socket.emitWithAck("message-with-ack", `id-${i}`))),
      5000,
      "30 concurrent acks",
    );
    assert.deepEqual(
      replies,
      Array.from({ length: 30 }, (_, i) => `id-${i}`),
    );
  });

  test(`server → client ack: the server relays the client's reply over ${label}`, async () => {
    const socket = await connect(fx.server, { transports });
    const requests = [];
    socket.on("server-ack-request", (...args) => {
      const ack = args.pop();
      assert.equal(typeof ack, "function", "server-ack-request must carry an ack callback");
      requests.push(args);
      ack("reply", 2, { echoed: args });
    });
    const result = await socket.timeout(3000).emitWithAck("request-ack", "q", 1);
    assert.deepEqual(requests, [["q", 1]]);
    assert.deepEqual(result, { ok: true, reply: ["reply", 2, { echoed: ["q", 1] }] });
  });
}

test("server → client ack with an empty reply", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  socket.on("server-ack-request", (...args) => args.pop()());
  const result = await socket.timeout(3000).emitWithAck("request-ack");
  assert.deepEqual(result, { ok: true, reply: [] });
});

test("server → client ack that the client answers late still arrives (within the 2 s timeout)", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  socket.on("server-ack-request", (...args) => {
    const ack = args.pop();
    setTimeout(() => ack("late"), 800);
  });
  const result = await socket.timeout(3000).emitWithAck("request-ack", "x");
  assert.deepEqual(result, { ok: true, reply: ["late"] });
});

test("server → client ack timeout: the client never answers → {ok:false}", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  const requests = [];
  let lateAck;
  socket.on("server-ack-request", (...args) => {
    lateAck = args.pop(); // receives the request, does not answer in time
    requests.push(args);
  });
  const started = Date.now();
  const result = await socket.timeout(2500).emitWithAck("request-ack", "ignored");
  const elapsed = Date.now() - started;
  assert.deepEqual(requests, [["ignored"]]);
  assert.deepEqual(result, { ok: false, error: "operation has timed out" });
  assert.ok(elapsed >= 1900, `the server timed out after ${elapsed} ms, expected about 2000 ms`);

  // An answer after the timeout is dropped by the server: no crash, and the socket still works.
  assert.equal(typeof lateAck, "function");
  lateAck("too late");
  await sleep(100);
  const back = once(socket, "message-back");
  socket.emit("message", "alive");
  assert.deepEqual(await back, ["alive"]);
  assert.equal(socket.connected, true);
});

test("server → client ack timeout over polling", async () => {
  const socket = await connect(fx.server, { transports: ["polling"] });
  socket.on("server-ack-request", () => {}); // ignores the ack callback
  const result = await socket.timeout(2500).emitWithAck("request-ack", 1);
  assert.deepEqual(result, { ok: false, error: "operation has timed out" });
});

test("a client that disconnects before answering: the pending server ack does not break the server", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  const got = once(socket, "server-ack-request", 3000);
  socket.emit("request-ack", "then-leave", () => {});
  await got;
  socket.disconnect();
  await sleep(2300); // past the server's 2 s ack timer, which now fires for a gone socket
  const other = await connect(fx.server, { transports: ["websocket"] });
  assert.equal(await other.timeout(3000).emitWithAck("message-with-ack", "ok"), "ok");
});
