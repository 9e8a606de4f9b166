// Scenario 15: search (issue #13). Messages holding every word, newest first, from every public
// room and the user's own conversations, never from a conversation of others nor a deleted
// message; an edited message only by its new text; pages; limits with their errors.
import assert from "node:assert/strict";
import { connectChat, ok } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";

const fx = useChatServer({ args: ["--log-level", "info"] });

/** alice, bob and eve connected; alice and bob have a conversation; a public room of their own. */
async function setup(tag) {
  const s = fx.server;
  const [alice, bob, eve] = await Promise.all(["alice", "bob", "eve"].map((n) => account(s, n)));
  const a = await connectChat(s, alice.cookie, { label: "alice" });
  const b = await connectChat(s, bob.cookie, { label: "bob" });
  const e = await connectChat(s, eve.cookie, { label: "eve" });
  const room = (await ok(a, "room:join", { name: `search ${tag}` })).room;
  const dm = (await ok(a, "dm:open", { userName: "bob" })).room;
  return { a, b, e, room, dm };
}

serverTest(fx, "search finds every word, newest first, in public rooms and the user's own conversations only", async () => {
  const { a, b, e, room, dm } = await setup("scope");
  await a.send(room.id, "kiwi launch moved to Friday");
  await a.send(dm.id, "kiwi launch: the real date is secret");
  await a.send(room.id, "unrelated");
  const found = await ok(b, "search", { query: "Kiwi LAUNCH" });
  assert.deepEqual(found.results.map((r) => r.message.text),
    ["kiwi launch: the real date is secret", "kiwi launch moved to Friday"]);
  assert.equal(found.results[0].room.id, dm.id);
  assert.equal(found.results[0].room.kind, "direct");
  assert.equal(found.results[0].room.name, "alice", "a conversation is named after the other person");
  assert.equal(found.results[1].room.name, room.name);
  assert.equal(found.next, null);
  // eve reads public rooms, not the conversation of others.
  const forEve = await ok(e, "search", { query: "kiwi launch" });
  assert.deepEqual(forEve.results.map((r) => r.room.id), [room.id]);
  assert.ok(!JSON.stringify(forEve).includes("secret"));
});

serverTest(fx, "deleted messages are never found, edited ones only by their new text", async () => {
  const { a, room } = await setup("changes");
  const gone = await a.send(room.id, "mango password is swordfish");
  const typo = await a.send(room.id, "mango recieve");
  await ok(a, "message:delete", { roomId: room.id, seq: gone.seq });
  await ok(a, "message:edit", { roomId: room.id, seq: typo.seq, text: "mango receive" });
  assert.deepEqual((await ok(a, "search", { query: "swordfish" })).results, []);
  assert.deepEqual((await ok(a, "search", { query: "recieve" })).results, []);
  const found = await ok(a, "search", { query: "mango" });
  assert.deepEqual(found.results.map((r) => r.message.text), ["mango receive"]);
  assert.equal(found.results[0].message.seq, typo.seq);
});

serverTest(fx, "results come in pages; query syntax is only words; bad queries and floods get errors", async () => {
  // Searches are counted per user (1/s, burst 5): eve pages, bob floods, alice only sends.
  const { a, b, e, room } = await setup("pages");
  for (let i = 0; i < 5; i++) await a.send(room.id, `papaya ${i}`);
  const first = await ok(e, "search", { query: "papaya", limit: 2 });
  assert.deepEqual(first.results.map((r) => r.message.text), ["papaya 4", "papaya 3"]);
  const second = await ok(e, "search", { query: "papaya", limit: 2, beforeId: first.next });
  assert.deepEqual(second.results.map((r) => r.message.text), ["papaya 2", "papaya 1"]);
  const odd = await ok(e, "search", { query: 'papaya" OR * NEAR(' });
  assert.ok(Array.isArray(odd.results));
  for (const query of ["", "   ", "*** ()", "x".repeat(201), 5, null]) {
    const res = await b.ack("search", { query });
    assert.equal(res.ok, false, JSON.stringify(query));
    assert.equal(res.error, "bad_request", JSON.stringify(res));
  }
  // 1 per second, bursts of 5: a flood is refused with a hint.
  const answers = await Promise.all(Array.from({ length: 8 }, () => b.ack("search", { query: "papaya" })));
  const limited = answers.filter((r) => r.error === "rate_limited");
  assert.ok(limited.length >= 2, JSON.stringify(answers.map((r) => r.error ?? "ok")));
  assert.ok(limited.every((r) => r.retryAfterMs > 0));
});
