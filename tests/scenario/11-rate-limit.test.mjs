// Scenario 8 (continued): guessing passwords is rate limited per name (own file: the limiter's
// state lives in the server, so these tests get a fresh one).
import assert from "node:assert/strict";
import { account, scenario, signIn, useChat } from "./helpers.mjs";

const fx = useChat();

function assertRateLimited(res, what) {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json?.error, "rate_limited", what);
  const retry = res.headers.get("retry-after");
  assert.match(retry ?? "", /^[1-9][0-9]*$/, `${what}: Retry-After ${JSON.stringify(retry)}`);
  assert.ok(Number(retry) <= 3600, `${what}: Retry-After ${retry} s`);
  assert.equal(res.cookie, null, `${what}: no session while rate limited`);
}

scenario(fx, "wrong passwords for one name: after 5 failures the next attempt answers 429 with Retry-After", async () => {
  const s = fx.server;
  await account(s, "gina", "gina-right-password");
  const statuses = [];
  let limited = null;
  for (let i = 1; i <= 7 && !limited; i++) {
    // The name's case does not matter: every attempt counts against the same account.
    const res = await signIn(s, i % 2 ? "gina" : "GINA", `wrong-${i}`);
    statuses.push(res.status);
    if (res.status === 429) limited = { res, attempt: i };
    else assert.equal(res.status, 401, `attempt ${i}: ${res.text}`);
  }
  assert.ok(limited, `7 wrong passwords, no 429: ${JSON.stringify(statuses)}`);
  assert.ok(limited.attempt === 6 || limited.attempt === 7, `first 429 at attempt ${limited.attempt}: ${statuses}`);
  assertRateLimited(limited.res, `attempt ${limited.attempt}`);

  // While limited, even the right password is refused: otherwise guessing could go on.
  assertRateLimited(await signIn(s, "gina", "gina-right-password"), "right password while limited");
  assertRateLimited(await signIn(s, "Gina", "wrong-again"), "another spelling while limited");

  // Another account from the same address is not affected.
  const other = await signIn(s, "hank", "hank-password");
  assert.equal(other.status, 201, other.text);
});

scenario(fx, "the per-name limit counts every spelling of a non-ASCII name as the same name", async () => {
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
  // Five failures for this account: the sixth guess is refused whichever way the name is spelled.
  assertRateLimited(await signIn(s, "élise", "wrong-6"), "6th attempt spelled élise");
  assertRateLimited(await signIn(s, "Élise", "wrong-7"), "7th attempt spelled Élise");
});
