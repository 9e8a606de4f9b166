// Scenario 8 (continued): guessing passwords is slowed down per name (own file: the limiter's
// state lives in the server, so these tests get a fresh one). More in tests/hostile/06-sign-in
// (parallel guesses, the owner's device cookie, per-address budgets).
import assert from "node:assert/strict";
import { serverTest, useChatServer } from "../lib/chat-server.mjs";
import { account, signIn } from "../lib/fixtures.mjs";
import { sleep } from "../lib/wait.mjs";

const fx = useChatServer();

function assertRateLimited(res, what) {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json?.error, "rate_limited", what);
  const retry = res.headers.get("retry-after");
  assert.match(retry ?? "", /^[1-9][0-9]*$/, `${what}: Retry-After ${JSON.stringify(retry)}`);
  assert.ok(Number(retry) <= 3600, `${what}: Retry-After ${retry} s`);
  assert.equal(res.cookie, null, `${what}: no session while rate limited`);
}

serverTest(fx, "wrong passwords for one name: after 5 failures guessing is slowed down (429 with a growing Retry-After)", async () => {
  const s = fx.server;
  await account(s, "gina", "gina-right-password");
  for (let i = 1; i <= 5; i++) {
    // The name's case does not matter: every attempt counts against the same account.
    const res = await signIn(s, i % 2 ? "gina" : "GINA", `wrong-${i}`);
    assert.equal(res.status, 401, `attempt ${i}: ${res.text}`);
  }
  // Right after the fifth failure (sent together: the first wait is short): the next guess, the
  // right password from a browser that never signed in as gina (no device cookie), and another
  // spelling are all refused; otherwise guessing could go on.
  const [next, right, spelled] = await Promise.all([
    signIn(s, "gina", "wrong-6"),
    signIn(s, "gina", "gina-right-password"),
    signIn(s, "Gina", "wrong-again"),
  ]);
  assertRateLimited(next, "6th attempt");
  assertRateLimited(right, "right password while slowed down");
  assertRateLimited(spelled, "another spelling while slowed down");
  const firstWait = Number(next.headers.get("retry-after"));

  // Slowed down, not locked: after the wait one more guess is checked, and the next wait is longer.
  await sleep(firstWait * 1000 + 100);
  assert.equal((await signIn(s, "gina", "wrong-7")).status, 401);
  const after = await signIn(s, "gina", "wrong-8");
  assertRateLimited(after, "8th attempt");
  assert.ok(Number(after.headers.get("retry-after")) > firstWait, `Retry-After ${after.headers.get("retry-after")} after ${firstWait}`);

  // Another account from the same address is not affected.
  const other = await signIn(s, "hank", "hank-password");
  assert.equal(other.status, 201, other.text);
});

serverTest(fx, "the per-name limit counts every spelling of a non-ASCII name as the same name", async () => {
  const s = fx.server;
  // Names are case-insensitive beyond ASCII: "ÉLISE" signs in as "élise".
  const elise = await account(s, "élise", "élise-right-password");
  const upper = await signIn(s, "ÉLISE", "élise-right-password");
  assert.equal(upper.status, 200, upper.text);
  assert.equal(upper.json.user.id, elise.user.id, "ÉLISE and élise are one account");

  for (let i = 1; i <= 5; i++) {
    const res = await signIn(s, "ÉLISE", `wrong-${i}`);
    assert.equal(res.status, 401, `attempt ${i}: ${res.text}`);
  }
  // Five failures for this account: the next guesses are refused whichever way the name is spelled.
  const [lower, title] = await Promise.all([signIn(s, "élise", "wrong-6"), signIn(s, "Élise", "wrong-7")]);
  assertRateLimited(lower, "6th attempt spelled élise");
  assertRateLimited(title, "7th attempt spelled Élise");
});
