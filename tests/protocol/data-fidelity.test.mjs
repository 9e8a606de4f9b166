// Values survive the round trip through the server unchanged: Unicode (including astral-plane
// characters and the polling record separator), numbers at the edges of JSON, deep nesting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { once } from "../lib/wait.mjs";
import { connect, useServer } from "./setup.mjs";

const fx = useServer();

const TRANSPORTS = [["websocket"], ["polling"]];

async function roundTrip(socket, args) {
  const back = once(socket, "message-back", 3000);
  socket.emit("message", ...args);
  return back;
}

for (const transports of TRANSPORTS) {
  const label = transports.join("+");

  test(`Unicode strings round trip over ${label}`, async () => {
    const socket = await connect(fx.server, { transports });
    const args = [
      "héllo wörld",
      "日本語テキスト",
      "emoji 🎉👩‍👩‍👧‍👦 and 𝄞 (astral plane)",
      "record\u001eseparator", // the Engine.IO polling payload separator
      "control \u0000\u0001\u001f chars",
      'quotes " and \\ backslash and / slash',
      "\u2028\u2029 line separators",
      "",
      { "ключ": "значение", "🔑": ["🎈"] },
    ];
    assert.deepEqual(await roundTrip(socket, args), args);
  });

  test(`numbers at the edges of JSON round trip over ${label}`, async () => {
    const socket = await connect(fx.server, { transports });
    const args = [
      0,
      -1,
      0.1,
      1.5,
      -2.25e-7,
      1e21,
      1.7976931348623157e308,
      5e-324,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      2 ** 53 + 2,
      2 ** 63,
      -(2 ** 31),
      123456789.12345679,
      1.8914139489137638,
      -27639202902.856842,
      9.240731764231212e-19,
    ];
    assert.deepEqual(await roundTrip(socket, args), args);
  });

  test(`odd-shaped values round trip over ${label}`, async () => {
    const socket = await connect(fx.server, { transports });
    const args = [[], {}, [[[]]], null, true, false, { "": "empty key", "a.b": 1, __proto__x: 2 }, [null, [{}]]];
    assert.deepEqual(await roundTrip(socket, args), args);
  });

  test(`objects nested 50 deep round trip over ${label} (the reference server has no depth limit)`, async () => {
    const socket = await connect(fx.server, { transports });
    let deep = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { i, child: deep };
    const disconnected = once(socket, "disconnect", 3000).then(([r]) => `disconnected: ${r}`);
    const result = await Promise.race([roundTrip(socket, [deep]), disconnected]);
    assert.deepEqual(result, [deep]);
  });

  test(`many arguments and a long string round trip over ${label}`, async () => {
    const socket = await connect(fx.server, { transports });
    const args = Array.from({ length: 100 }, (_, i) => (i % 2 ? i : `arg${i}`));
    assert.deepEqual(await roundTrip(socket, args), args);
    const long = "🎉abc".repeat(50_000); // 250 000 UTF-16 units, ~350 kB of UTF-8
    assert.deepEqual(await roundTrip(socket, [long]), [long]);
  });

  test(`an unpaired surrogate in a string becomes U+FFFD over ${label}, the connection stays up`, async () => {
    // JSON.stringify escapes a lone surrogate as \ud83c. The reference server echoes it back
    // unchanged; chatd stores text as UTF-8, where a lone surrogate cannot exist, so it is
    // replaced by U+FFFD (as any UTF-8 decoder does) instead of failing the packet.
    const socket = await connect(fx.server, { transports });
    const args = ["truncated emoji \ud83c", "\udc00 low first", "pair \ud83c\udf89 kept"];
    const disconnected = once(socket, "disconnect", 3000).then(([r]) => `disconnected: ${r}`);
    assert.deepEqual(await Promise.race([roundTrip(socket, args), disconnected]), [
      "truncated emoji \ufffd",
      "\ufffd low first",
      "pair \ud83c\udf89 kept",
    ]);
  });

  test(`nesting deeper than 128 levels is refused over ${label}: the sender is disconnected`, async () => {
    // A documented limit (core/json_parse.hpp): deep enough for any real payload.
    const socket = await connect(fx.server, { transports });
    let deep = { leaf: true };
    for (let i = 0; i < 200; i++) deep = { i, child: deep };
    const disconnected = once(socket, "disconnect", 3000);
    socket.emit("message", deep);
    const [reason] = await disconnected;
    assert.ok(["transport close", "transport error"].includes(reason), reason);
  });
}

test("2000 pseudo-random doubles of every magnitude round trip exactly", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  let seed = 12345;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const values = Array.from({ length: 2000 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 600 - 300));
  const [got] = await roundTrip(socket, [values]);
  const wrong = values.map((v, i) => [i, v, got[i]]).filter(([, v, g]) => !Object.is(v, g) && !(v === 0 && g === 0));
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${values.length} doubles changed`);
});

test("custom event names: numeric-looking, Unicode, with spaces are simply not handled (no crash)", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  socket.emit("no such handler", 1);
  socket.emit("événement 🎉", 2);
  socket.emit("42", 3);
  assert.deepEqual(await roundTrip(socket, ["still fine"]), ["still fine"]);
});

test("an event with a numeric name is ignored, not fatal (socket.io-parser allows numeric event names)", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  const drops = [];
  socket.on("disconnect", (r) => drops.push(r));
  socket.emit(1, "numeric event name");
  const back = once(socket, "message-back", 3000);
  socket.emit("message", "after");
  const result = await Promise.race([back, once(socket, "disconnect", 3000).then(([r]) => `disconnected: ${r}`)]);
  assert.deepEqual(result, ["after"]);
  assert.deepEqual(drops, []);
});
