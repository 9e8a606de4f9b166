// Scenario 8: hostile or broken input, over Socket.IO and HTTP.
import assert from "node:assert/strict";
import { aliceAndBob, connectChat, connectError } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { signIn } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";

const fx = useChatServer();

async function pair() {
  const s = fx.server;
  return { s, ...(await aliceAndBob(s)) };
}

serverTest(fx, "markup is stored and echoed literally", async () => {
  const { s, alice, a, b, general } = await pair();
  const texts = [
    "<script>alert(1)</script>",
    `<img src=x onerror="alert('x')"> & &amp; &lt; "quotes" 'single' \\ backslash`,
    "emoji 😀, RTL \u202e, NUL-free zero width \u200b, combining e\u0301",
  ];
  for (const text of texts) {
    const m = await a.send(general.id, text);
    assert.equal(m.text, text);
    const echoed = await b.waitFor("message", (x) => x.id === m.id);
    assert.equal(echoed.text, text);
    const page = await request(s, "GET", `/api/rooms/${general.id}/messages?limit=1`, { cookie: alice.cookie });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.json.messages[0].text, text);
  }
});

serverTest(fx, "text over 4000 characters is refused with invalid_text and stores nothing", async () => {
  const { s, alice, a, b, general } = await pair();
  const before = await a.send(general.id, "before the long ones");
  const refused = ["x".repeat(4001), "y".repeat(5000), "é".repeat(4001), "z".repeat(100000)];
  for (const text of refused) {
    const res = await a.ack("message:send", { roomId: general.id, text, clientId: `long-${text.length}-${text[0]}` });
    assert.equal(res.ok, false, `${text.length} characters accepted`);
    assert.equal(res.error, "invalid_text");
    assert.equal(typeof res.message, "string");
    assert.equal(res.message.length < 1000, true, "the error does not echo the text");
  }
  // Exactly 4000 characters is fine, also when they take 8000 bytes.
  const max = await a.send(general.id, "x".repeat(4000));
  assert.equal(max.seq, before.seq + 1, "the refused messages took no seq");
  assert.equal(max.text.length, 4000);
  const wide = await a.send(general.id, "é".repeat(4000));
  assert.equal(wide.seq, before.seq + 2);
  assert.equal(wide.text, "é".repeat(4000));

  const page = await request(s, "GET", `/api/rooms/${general.id}/messages?limit=3`, { cookie: alice.cookie });
  assert.deepEqual(page.json.messages, [before, max, wide]);
  // Nobody was sent a refused message.
  await b.waitFor("message", (m) => m.id === wide.id);
  assert.equal(b.all("message", (m) => m.text.length > 4000).length, 0);
});

serverTest(fx, "empty and whitespace-only text is refused with invalid_text", async () => {
  const { a, general } = await pair();
  const before = await a.send(general.id, "before the empty ones");
  for (const text of ["", " ", "   \t\n  ", "\r\n"]) {
    const res = await a.ack("message:send", { roomId: general.id, text, clientId: `empty-${JSON.stringify(text)}` });
    assert.equal(res.ok, false, `text ${JSON.stringify(text)} accepted: ${JSON.stringify(res)}`);
    assert.equal(res.error, "invalid_text", `text ${JSON.stringify(text)}`);
  }
  for (const text of [undefined, null, 42, ["a"], { t: "a" }]) {
    const res = await a.ack("message:send", { roomId: general.id, text, clientId: `weird-${JSON.stringify(text)}` });
    assert.equal(res.ok, false, `text ${JSON.stringify(text)} accepted: ${JSON.stringify(res)}`);
    assert.ok(["invalid_text", "bad_request"].includes(res.error), JSON.stringify(res));
  }
  const after = await a.send(general.id, "after the empty ones");
  assert.equal(after.seq, before.seq + 1);
});

serverTest(fx, "socket connect without a session or with a garbage cookie: connect_error unauthorized", async () => {
  const s = fx.server;
  assert.equal(await connectError(s, null), "unauthorized");
  assert.equal(await connectError(s, null, { transports: ["websocket"] }), "unauthorized");
  assert.equal(await connectError(s, "chat_session=garbage"), "unauthorized");
  assert.equal(await connectError(s, "chat_session=" + "A".repeat(43)), "unauthorized");
  assert.equal(await connectError(s, "chat_session="), "unauthorized");
  assert.equal(await connectError(s, "other=1; chat_session=not-a-session", { transports: ["websocket"] }), "unauthorized");
  // The same garbage over HTTP.
  const me = await request(s, "GET", "/api/me", { cookie: "chat_session=garbage" });
  assert.equal(me.status, 401);
  assert.equal(me.json.error, "unauthorized");
});

serverTest(fx, "message:send to a room that does not exist: not_found; to a public room not joined: forbidden", async () => {
  const { a, b, general } = await pair();
  const missing = await a.ack("message:send", { roomId: 987654321, text: "anyone?", clientId: "nf-1" });
  assert.equal(missing.ok, false, JSON.stringify(missing));
  assert.equal(missing.error, "not_found");

  const created = await b.ack("room:join", { name: "bobs-room" });
  assert.equal(created.ok, true, JSON.stringify(created));
  const roomId = created.room.id;
  const notJoined = await a.ack("message:send", { roomId, text: "let me in", clientId: "fb-1" });
  assert.equal(notJoined.ok, false, JSON.stringify(notJoined));
  assert.equal(notJoined.error, "forbidden");
  const page = await b.ack("history", { roomId });
  assert.deepEqual(page.messages, [], "nothing was stored");

  // After joining, the same send works.
  const joined = await a.ack("room:join", { roomId });
  assert.equal(joined.ok, true, JSON.stringify(joined));
  const m = await a.send(roomId, "now I'm in", "fb-2");
  assert.equal(m.roomId, roomId);
  assert.deepEqual(await b.waitFor("message", (x) => x.id === m.id), m);

  // Leaving takes the right away again.
  const left = await a.ack("room:leave", { roomId });
  assert.equal(left.ok, true, JSON.stringify(left));
  const afterLeave = await a.ack("message:send", { roomId, text: "still here?", clientId: "fb-3" });
  assert.equal(afterLeave.ok, false, JSON.stringify(afterLeave));
  assert.equal(afterLeave.error, "forbidden");

  // general is unaffected.
  await a.send(general.id, "general still works");
});

serverTest(fx, "malformed event payloads are answered with an error ack, not a crash", async () => {
  const { a, general } = await pair();
  const cases = [
    ["message:send", { text: "no room" }],
    ["message:send", { roomId: "1", text: "string id" }],
    ["message:send", "not an object"],
    ["room:join", {}],
    ["room:join", { name: "" }],
    ["room:join", { name: "n".repeat(33) }],
    ["history", {}],
    ["sync", {}],
    ["sync", { rooms: [] }],
    ["dm:open", {}],
    ["room:leave", {}],
  ];
  for (const [event, payload] of cases) {
    const res = await a.ack(event, payload);
    assert.equal(res?.ok, false, `${event} ${JSON.stringify(payload)}: ${JSON.stringify(res)}`);
    assert.equal(typeof res.error, "string");
  }
  const joinEmpty = await a.ack("room:join", { name: "" });
  assert.equal(joinEmpty.error, "invalid_name");
  // Still connected and working.
  await a.send(general.id, "still alive");
});

serverTest(fx, "POST /api/session: 415 for a non-JSON content type, 400 for malformed JSON", async () => {
  const s = fx.server;
  for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
    const res = await request(s, "POST", "/api/session", {
      body: JSON.stringify({ name: "mallory", password: "pw" }),
      headers: { "content-type": contentType },
    });
    assert.equal(res.status, 415, `${contentType}: ${res.text}`);
    assert.equal(typeof res.json?.error, "string", `${contentType}: ${res.text}`);
    assert.equal(sessionFrom(res), null);
  }
  for (const body of ["{", "not json", '{"name": "mallory", "password": }', "[]", '"x"', '{"name": 1, "password": "x"}', ""]) {
    const res = await request(s, "POST", "/api/session", { body, headers: { "content-type": "application/json" } });
    assert.equal(res.status, 400, `body ${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.json?.error, "bad_request", `body ${JSON.stringify(body)}: ${res.text}`);
    assert.equal(sessionFrom(res), null);
  }
  // Nothing was created by any of these.
  const check = await signIn(s, "mallory", "pw");
  assert.equal(check.status, 201, check.text);
});

function sessionFrom(res) {
  return res.setCookie.find((c) => /^chat_session=[^;]/.test(c)) ?? null;
}

serverTest(fx, "cross-site POST /api/session is refused with 403; same-origin is fine", async () => {
  const s = fx.server;
  const evil = await signIn(s, "victim", "pw", { headers: { origin: "http://evil.example" } });
  assert.equal(evil.status, 403, evil.text);
  assert.equal(evil.json.error, "forbidden");
  assert.equal(evil.cookie, null);
  const fetchSite = await signIn(s, "victim", "pw", { headers: { "sec-fetch-site": "cross-site" } });
  assert.equal(fetchSite.status, 403, fetchSite.text);
  assert.equal(fetchSite.cookie, null);
  const nullOrigin = await signIn(s, "victim", "pw", { headers: { origin: "null" } });
  assert.equal(nullOrigin.status, 403, nullOrigin.text);
  const lookalike = await signIn(s, "victim", "pw", { headers: { origin: `http://127.0.0.1:${s.port}.evil.example` } });
  assert.equal(lookalike.status, 403, lookalike.text);

  // The refused attempts created nothing: the first same-origin sign-in creates the account.
  const same = await signIn(s, "victim", "pw", { headers: { origin: s.url } });
  assert.equal(same.status, 201, same.text);
  const sameSite = await signIn(s, "victim", "pw", { headers: { "sec-fetch-site": "same-origin" } });
  assert.equal(sameSite.status, 200, sameSite.text);

  // Sign-out is protected the same way: a cross-site DELETE keeps the session.
  const out = await request(s, "DELETE", "/api/session", { cookie: same.cookie, headers: { origin: "http://evil.example" } });
  assert.equal(out.status, 403, out.text);
  const me = await request(s, "GET", "/api/me", { cookie: same.cookie });
  assert.equal(me.status, 200, "a cross-site DELETE must not sign the user out");
});
