// Namespaces: two on one Engine.IO connection (one Manager), the auth payload echoed on connect,
// and connect_error for an unknown namespace.
import assert from "node:assert/strict";
import { test } from "node:test";
import { io, Manager } from "socket.io-client";
import { once, sleep, within } from "../lib/wait.mjs";
import { CLIENT_DEFAULTS, connect, record, track, useServer } from "./setup.mjs";

const fx = useServer();

function connected(socket, ms = 5000) {
  return within(
    new Promise((resolve, reject) => {
      if (socket.connected) return resolve();
      socket.once("connect", resolve);
      socket.once("connect_error", (e) => reject(new Error(`connect_error on ${socket.nsp}: ${e.message}`)));
    }),
    ms,
    `connect to ${socket.nsp}`,
  );
}

for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
  const label = transports.join("+");

  test(`two namespaces share one connection over ${label}`, async () => {
    const manager = track(new Manager(fx.server.url, { ...CLIENT_DEFAULTS, transports }));
    const main = track(manager.socket("/", { auth: { ns: "main" } }));
    const custom = track(manager.socket("/custom", { auth: { ns: "custom", n: 2 } }));
    const mainAuth = once(main, "auth", 5000);
    const customAuth = once(custom, "auth", 5000);
    await Promise.all([connected(main), connected(custom)]);

    // One engine for both.
    assert.equal(main.io, custom.io);
    const engine = manager.engine;
    const engineId = engine.id;
    assert.equal(typeof engineId, "string");
    assert.notEqual(main.id, custom.id);

    // Each namespace got its own auth payload back.
    assert.deepEqual(await mainAuth, [{ ns: "main" }]);
    assert.deepEqual(await customAuth, [{ ns: "custom", n: 2 }]);

    // Messages stay in their namespace.
    const mainBack = record(main, "message-back");
    const customBack = record(custom, "message-back");
    main.emit("message", "to main");
    custom.emit("message", "to custom");
    await sleep(300);
    assert.deepEqual(mainBack, [["to main"]]);
    assert.deepEqual(customBack, [["to custom"]]);
    assert.equal(await main.timeout(3000).emitWithAck("message-with-ack", "m"), "m");
    assert.equal(await custom.timeout(3000).emitWithAck("message-with-ack", "c"), "c");

    // Rooms are per namespace: a room joined in /custom is not the same room in /.
    assert.equal(await custom.timeout(3000).emitWithAck("join", "shared-name"), "shared-name");
    const customRoom = record(custom, "room-message");
    const mainRoom = record(main, "room-message");
    main.emit("to-room", "shared-name", "from main");
    await sleep(300);
    assert.deepEqual(customRoom, []);
    assert.deepEqual(mainRoom, []);
    custom.emit("to-room", "shared-name", "from custom");
    await sleep(300);
    assert.deepEqual(customRoom, [["from custom"]]);
    assert.deepEqual(mainRoom, []);

    // Leaving /custom keeps / working on the same engine.
    const customDisconnect = once(custom, "disconnect", 3000);
    custom.disconnect();
    assert.deepEqual(await customDisconnect, ["io client disconnect", undefined]);
    await sleep(200);
    assert.equal(manager.engine, engine);
    assert.equal(engine.readyState, "open");
    assert.equal(engine.id, engineId);
    assert.equal(main.connected, true);
    const back = once(main, "message-back");
    main.emit("message", "main still works");
    assert.deepEqual(await back, ["main still works"]);

    // A server-side disconnect of / keeps /custom (re-joined) on the same engine working too.
    const again = once(custom, "auth", 5000);
    custom.connect();
    await connected(custom);
    assert.deepEqual(await again, [{ ns: "custom", n: 2 }]);
    const mainDisconnect = once(main, "disconnect", 3000);
    main.emit("server-disconnect");
    assert.deepEqual(await mainDisconnect, ["io server disconnect", undefined]);
    await sleep(200);
    assert.equal(engine.readyState, "open");
    assert.equal(manager.engine.id, engineId);
    assert.equal(custom.connected, true);
    assert.equal(await custom.timeout(3000).emitWithAck("message-with-ack", "custom still works"), "custom still works");
  });
}

test("auth payload is echoed: auth {token:'abc'} → auth event {token:'abc'}", async () => {
  for (const transports of [["websocket"], ["polling"]]) {
    const socket = await connect(fx.server, { transports, auth: { token: "abc" } });
    assert.deepEqual(await socket.authEvent, [{ token: "abc" }]);
    socket.disconnect();
  }
  const custom = await connect(fx.server, { nsp: "/custom", auth: { token: "abc", nested: { a: [1, 2] } } });
  assert.deepEqual(await custom.authEvent, [{ token: "abc", nested: { a: [1, 2] } }]);
});

test("no auth payload → auth event with an empty object", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"] });
  assert.deepEqual(await socket.authEvent, [{}]);
});

test("auth given as a function is sent as its result", async () => {
  const socket = await connect(fx.server, { transports: ["websocket"], auth: (cb) => cb({ token: "from-fn" }) });
  assert.deepEqual(await socket.authEvent, [{ token: "from-fn" }]);
});

for (const transports of [["websocket"], ["polling"]]) {
  test(`unknown namespace → connect_error "Invalid namespace" over ${transports.join("+")}`, async () => {
    const socket = track(io(fx.server.url + "/does-not-exist", { ...CLIENT_DEFAULTS, transports }));
    const connects = record(socket, "connect");
    const [err] = await once(socket, "connect_error", 5000);
    assert.ok(err instanceof Error);
    assert.equal(err.message, "Invalid namespace");
    await sleep(500);
    assert.deepEqual(connects, [], "must never connect");
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false, "no automatic retry after a namespace refusal");
  });
}

test("an unknown namespace on a shared Manager does not break the valid one", async () => {
  const manager = track(new Manager(fx.server.url, { ...CLIENT_DEFAULTS, transports: ["websocket"] }));
  const good = track(manager.socket("/custom"));
  const bad = track(manager.socket("/nope"));
  const [err] = await once(bad, "connect_error", 5000);
  assert.equal(err.message, "Invalid namespace");
  await connected(good);
  assert.equal(await good.timeout(3000).emitWithAck("message-with-ack", "fine"), "fine");
  assert.equal(manager.engine.readyState, "open");
});

test("a connect middleware refuses a namespace with connect_error {message, data}", async () => {
  const refused = track(io(`${fx.server.url}/private`, { ...CLIENT_DEFAULTS, auth: { token: "wrong" } }));
  const [err] = await once(refused, "connect_error", 5000);
  assert.equal(err.message, "unauthorized");
  assert.deepEqual(err.data, { reason: "token required" });
  assert.equal(refused.connected, false);

  const allowed = track(io(`${fx.server.url}/private`, { ...CLIENT_DEFAULTS, auth: { token: "secret" } }));
  const [auth] = await once(allowed, "auth", 5000);
  assert.deepEqual(auth, { token: "secret" });
  allowed.emit("message", "inside");
  assert.deepEqual(await once(allowed, "message-back", 3000), ["inside"]);
});

test("dynamic namespaces are created on first connect when the hook allows them", async () => {
  const a = track(io(`${fx.server.url}/dyn-one`, { ...CLIENT_DEFAULTS, transports: ["websocket"] }));
  await connected(a);
  a.emit("message", 1);
  assert.deepEqual(await once(a, "message-back", 3000), [1]);
  // The namespace stays: a second client reaches the same one, and rooms work in it.
  const b = track(io(`${fx.server.url}/dyn-one`, { ...CLIENT_DEFAULTS, transports: ["websocket"] }));
  await connected(b);
  await a.emitWithAck("join", "dyn-room");
  await b.emitWithAck("join", "dyn-room");
  const got = once(a, "room-message", 3000);
  b.emit("to-room-except-me", "dyn-room", "hello");
  assert.deepEqual(await got, ["hello"]);

  const refused = track(io(`${fx.server.url}/not-dynamic`, { ...CLIENT_DEFAULTS }));
  const [err] = await once(refused, "connect_error", 5000);
  assert.equal(err.message, "Invalid namespace");
});
