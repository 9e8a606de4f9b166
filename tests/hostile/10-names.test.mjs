// Names that impersonate (issue #9): zero-width, bidi-override, C1 and invisible characters are
// refused with invalid_name and a message saying what is wrong; names that merely look like an
// existing one (UTS #39 confusable skeletons) never become a second account (409 name_taken) or
// a second room (the look-alike joins the existing room). Over HTTP and Socket.IO, against a
// real chatd. The rules: docs/CHAT_PROTOCOL.md, "Names".
import assert from "node:assert/strict";
import { connectChat, usersConnected } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account, signIn } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";

const fx = useChatServer();

const CYRILLIC_A = "\u0430"; // а
const CYRILLIC_E = "\u0435"; // е

/** Asserts a refused sign-in: status, error code, a message matching `says`, and no session. */
async function refusedSignIn(name, status, error, says, password = "some-password") {
  const res = await signIn(fx.server, name, password);
  const what = `name ${JSON.stringify(name)}: HTTP ${res.status} ${res.text}`;
  assert.equal(res.status, status, what);
  assert.equal(res.json?.error, error, what);
  assert.match(res.json.message, says, what);
  assert.equal(res.cookie, null, `${what}: no session for a refused name`);
  return res;
}

serverTest(fx, "sign-in: invisible, bidi, control and mixed-script names are refused with what is wrong", async () => {
  await account(fx.server, "alice", "alice-password");
  const cases = [
    ["alice\u200b", /invisible formatting character \(U\+200B\)/],
    ["al\u200dice", /U\+200D/],
    ["\u202eecila", /bidirectional control character \(U\+202E\)/],
    ["\u2066alice\u2069", /bidirectional control character \(U\+2066\)/],
    ["alice\u200e", /bidirectional control character \(U\+200E\)/],
    ["alice\u0085", /control character \(U\+0085\)/],
    ["\u009balice", /control character \(U\+009B\)/],
    ["\u3164", /invisible character \(U\+3164\)/],
    ["\u115f", /invisible character \(U\+115F\)/],
    ["\u2800", /blank character \(U\+2800\)/],
    ["alice\u2800", /blank character \(U\+2800\)/],
    ["\u200b", /U\+200B/],
    ["a\u2028b", /line or paragraph separator/],
    ["a\ue000", /private-use/],
    [`${CYRILLIC_A}lice`, /mixes Cyrillic and Latin letters/],
    [`p${CYRILLIC_A}ypal`, /mixes Latin and Cyrillic letters/],
  ];
  for (const [name, says] of cases) await refusedSignIn(name, 400, "invalid_name", says, "alice-password");
});

serverTest(fx, "sign-in: a name that only looks like a taken one is 409 name_taken, even with that account's password", async () => {
  const s = fx.server;
  const ace = await account(s, "ace", "ace-password");
  const rn = await account(s, "rn", "rn-password");
  // All Cyrillic (one script, so not a mixed-script name): а с е looks like "ace".
  await refusedSignIn("\u0430\u0441\u0435", 409, "name_taken", /looks like one that is already taken/, "ace-password");
  await refusedSignIn("m", 409, "name_taken", /looks like/, "rn-password");
  await refusedSignIn("ac\u0435", 400, "invalid_name", /mixes Latin and Cyrillic/);
  // The owners are unaffected, and the spellings that *are* their names still sign them in.
  assert.equal((await signIn(s, "ace", "ace-password")).status, 200);
  const fullwidth = await signIn(s, "ＡＣＥ", "ace-password");
  assert.equal(fullwidth.status, 200, `NFKC: ＡＣＥ is ACE, case-insensitively ace: ${fullwidth.text}`);
  assert.equal(fullwidth.json.user.id, ace.user.id);
  assert.equal(fullwidth.json.user.name, "ace", "the account keeps its name");
  assert.equal((await signIn(s, "ＡＣＥ", "wrong")).status, 401);
  assert.equal((await signIn(s, "RN", "rn-password")).json.user.id, rn.user.id);
  // None of the refused names became an account.
  const c = await connectChat(s, ace.cookie, { label: "ace" });
  for (const userName of ["\u0430\u0441\u0435", "m", "alice\u200b", "\u3164"]) {
    const res = await c.ack("dm:open", { userName });
    assert.equal(res.ok, false, `${JSON.stringify(userName)}: ${JSON.stringify(res)}`);
    assert.equal(res.error, "not_found", JSON.stringify(userName));
  }
});

serverTest(fx, "room:join: the same tricks in room names are refused with invalid_name and create nothing", async () => {
  const s = fx.server;
  const bob = await account(s, "bob");
  const c = await connectChat(s, bob.cookie, { label: "bob" });
  const before = await request(s, "GET", "/api/rooms", { cookie: bob.cookie });
  const cases = [
    ["general\u200b", /the room name contains an invisible formatting character \(U\+200B\)/],
    ["\u202elareneg", /bidirectional control character \(U\+202E\)/],
    ["room\u0085", /control character \(U\+0085\)/],
    ["\u3164", /invisible character \(U\+3164\)/],
    ["\u2800\u2800", /blank character \(U\+2800\)/],
    [`g${CYRILLIC_E}neral`, /mixes Latin and Cyrillic letters/],
    ["", /is empty/],
  ];
  for (const [name, says] of cases) {
    const res = await c.ack("room:join", { name });
    const what = `room ${JSON.stringify(name)}: ${JSON.stringify(res)}`;
    assert.equal(res.ok, false, what);
    assert.equal(res.error, "invalid_name", what);
    assert.match(res.message, says, what);
  }
  const after = await request(s, "GET", "/api/rooms", { cookie: bob.cookie });
  assert.deepEqual(after.json.rooms.map((r) => r.name), before.json.rooms.map((r) => r.name), "no room was created");
});

serverTest(fx, "room:join: a name that looks like an existing room joins that room instead of making a second one", async () => {
  const s = fx.server;
  const {
    accounts: [, dave],
    clients: [c, d],
  } = await usersConnected(s, ["carol", "dave"]);
  const ace = await c.ack("room:join", { name: "ace" });
  assert.equal(ace.ok, true, JSON.stringify(ace));
  const general = c.room("general");
  for (const [name, target] of [["\u0430\u0441\u0435", ace.room], ["ＧＥＮＥＲＡＬ", general], ["genera1", general]]) {
    const res = await d.ack("room:join", { name });
    assert.equal(res.ok, true, `${JSON.stringify(name)}: ${JSON.stringify(res)}`);
    assert.equal(res.room.id, target.id, `${JSON.stringify(name)} is room ${target.name}`);
    assert.equal(res.room.name, target.name, "shown under the existing room's own name");
  }
  const rooms = await request(s, "GET", "/api/rooms", { cookie: dave.cookie });
  const publicNames = rooms.json.rooms.filter((r) => r.kind === "public").map((r) => r.name);
  assert.equal(publicNames.filter((n) => n === "ace").length, 1);
  assert.ok(!publicNames.includes("\u0430\u0441\u0435") && !publicNames.includes("genera1"), publicNames.join(", "));
});
