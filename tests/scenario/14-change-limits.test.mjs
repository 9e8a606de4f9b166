// Scenario 14: the limits on changing messages (issue #13), each with its error: the edit
// window, the user's change rate, and how many different emoji one message can carry.
import assert from "node:assert/strict";
import { connectChat } from "../lib/chat-client.mjs";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account } from "../lib/fixtures.mjs";
import { sleep } from "../lib/wait.mjs";

const fx = useChatServer({ args: ["--edit-window", "1", "--change-rate", "1", "--change-burst", "4",
  "--max-reaction-kinds", "2"] });

/** A user of its own per test: the change rate is counted per user. */
async function setup(name) {
  const s = fx.server;
  const user = await account(s, name);
  const a = await connectChat(s, user.cookie, { label: name });
  return { a, general: a.room("general") };
}

serverTest(fx, "an edit after the edit window is refused; a delete still works", async () => {
  const { a, general } = await setup("alice");
  const sent = await a.send(general.id, "typo");
  await sleep(1300);
  const late = await a.ack("message:edit", { roomId: general.id, seq: sent.seq, text: "fixed" });
  assert.equal(late.ok, false);
  assert.equal(late.error, "edit_window_passed");
  const del = await a.ack("message:delete", { roomId: general.id, seq: sent.seq });
  assert.equal(del.ok, true, JSON.stringify(del));
});

serverTest(fx, "a message carries at most the configured number of different emoji", async () => {
  const { a, general } = await setup("bob");
  const sent = await a.send(general.id, "react");
  for (const emoji of ["👍", "🎉"]) {
    const res = await a.ack("reaction:set", { roomId: general.id, seq: sent.seq, emoji });
    assert.equal(res.ok, true, JSON.stringify(res));
  }
  const third = await a.ack("reaction:set", { roomId: general.id, seq: sent.seq, emoji: "🚀" });
  assert.equal(third.error, "too_many_reactions", JSON.stringify(third));
  await sleep(1100);
  // Taking one back is always possible.
  const off = await a.ack("reaction:set", { roomId: general.id, seq: sent.seq, emoji: "👍", on: false });
  assert.equal(off.ok, true, JSON.stringify(off));
});

serverTest(fx, "changing messages faster than the change rate is refused with a retry hint", async () => {
  const { a, general } = await setup("carol");
  const sent = await a.send(general.id, "v0");
  const answers = [];
  for (let i = 1; i <= 6; i++) answers.push(await a.ack("message:edit", { roomId: general.id, seq: sent.seq, text: `v${i}` }));
  const limited = answers.filter((r) => r.error === "rate_limited");
  assert.ok(limited.length >= 1, JSON.stringify(answers));
  assert.ok(limited.every((r) => r.retryAfterMs > 0));
  assert.ok(answers.filter((r) => r.ok).length <= 5, JSON.stringify(answers));
});

serverTest(fx, "marking read faster than the rate is refused with a retry hint, and never moves the mark back", async () => {
  const { a, general } = await setup("dave");
  await a.send(general.id, "something to read");
  const answers = await Promise.all(Array.from({ length: 8 }, () => a.ack("room:read", { roomId: general.id, seq: 1 })));
  const limited = answers.filter((r) => r.error === "rate_limited");
  assert.ok(limited.length >= 3, JSON.stringify(answers));
  assert.ok(limited.every((r) => r.retryAfterMs > 0));
  assert.ok(answers.filter((r) => r.ok).every((r) => r.readSeq >= 1), JSON.stringify(answers));
});
