// Binary attachments both ways (Buffers and Uint8Arrays nested in objects and arrays), in events
// and in acks, over websocket (binary frames) and polling (base64 "b" packets).
import assert from "node:assert/strict";
import { test } from "node:test";
import { once } from "../lib/wait.mjs";
import { connect, useServer } from "./setup.mjs";

const fx = useServer();

/** Every byte value, so that no encoding step (UTF-8, base64) can mangle one unnoticed. */
const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Deep-compares `actual` with `expected`, where binary values must match byte for byte. */
function assertSameData(actual, expected, where = "$") {
  if (expected instanceof Uint8Array || expected instanceof ArrayBuffer) {
    const want = Buffer.from(expected instanceof ArrayBuffer ? new Uint8Array(expected) : expected);
    assert.ok(
      actual instanceof Uint8Array || actual instanceof ArrayBuffer,
      `${where}: expected binary, got ${typeof actual} ${JSON.stringify(actual)?.slice(0, 200)}`,
    );
    const got = Buffer.from(actual instanceof ArrayBuffer ? new Uint8Array(actual) : actual);
    assert.equal(got.length, want.length, `${where}: length`);
    assert.ok(got.equals(want), `${where}: bytes differ`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array`);
    assert.equal(actual.length, expected.length, `${where}: array length`);
    expected.forEach((v, i) => assertSameData(actual[i], v, `${where}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object" && !Array.isArray(actual), `${where}: expected an object`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${where}: keys`);
    for (const k of Object.keys(expected)) assertSameData(actual[k], expected[k], `${where}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, where);
}

function payload() {
  return [
    "text before",
    {
      buf: Buffer.from([1, 2, 3]),
      nested: { u8: new Uint8Array([255, 0, 128, 10, 13]), list: [Buffer.from("héllo"), 5, "s"] },
      empty: Buffer.alloc(0),
    },
    allBytes,
    [new Uint8Array([42]), { deep: { deeper: Buffer.from([0xde, 0xad, 0xbe, 0xef]) } }],
    7,
  ];
}

for (const transports of [["websocket"], ["polling"]]) {
  const label = transports.join("+");

  test(`binary event round trip over ${label}: message → message-back with identical bytes`, async () => {
    const socket = await connect(fx.server, { transports });
    const sent = payload();
    const back = once(socket, "message-back");
    socket.emit("message", ...sent);
    assertSameData(await back, sent);

    // A single top-level binary argument, and a large one (well under maxPayload).
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const back2 = once(socket, "message-back", 5000);
    socket.emit("message", big);
    assertSameData(await back2, [big]);
  });

  test(`binary in an ack over ${label}: message-with-ack returns identical bytes`, async () => {
    const socket = await connect(fx.server, { transports });
    const sent = payload();
    const acked = await socket.timeout(3000).emitWithAck("message-with-ack", ...sent.slice(0, 1));
    assert.equal(acked, "text before");

    const args = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("ack timed out")), 3000);
      socket.emit("message-with-ack", ...sent, (...r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    assertSameData(args, sent);
  });

  test(`binary in a client ack relayed by the server over ${label} (request-ack)`, async () => {
    const socket = await connect(fx.server, { transports });
    const reply = [{ img: Buffer.from([9, 8, 7]) }, new Uint8Array([1, 1, 2, 3, 5, 8])];
    socket.on("server-ack-request", (...args) => {
      const ack = args.pop();
      ack(...reply);
    });
    const result = await socket.timeout(3000).emitWithAck("request-ack", Buffer.from([0xff]));
    assertSameData(result, { ok: true, reply });
  });

  test(`binary the server emits to the client carries its placeholders correctly over ${label}`, async () => {
    // server-ack-request forwards the client's binary arguments back to it.
    const socket = await connect(fx.server, { transports });
    const seen = new Promise((resolve) =>
      socket.on("server-ack-request", (...args) => {
        const ack = args.pop();
        resolve(args);
        ack();
      }),
    );
    const sent = [Buffer.from([1]), { two: Buffer.from([2, 2]) }, "three"];
    await socket.timeout(3000).emitWithAck("request-ack", ...sent);
    assertSameData(await seen, sent);
  });
}

test("binary after the polling → websocket upgrade", async () => {
  const socket = await connect(fx.server, {});
  const engine = socket.io.engine;
  if (engine.transport.name !== "websocket") await once(engine, "upgrade", 5000);
  const sent = payload();
  const back = once(socket, "message-back");
  socket.emit("message", ...sent);
  assertSameData(await back, sent);
});
