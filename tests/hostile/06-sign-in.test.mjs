// Sign-in under attack (issue #9, docs/SECURITY.md "Sign-in"): a flood of anonymous sign-ins must
// not slow the chat down (password hashing has its own bounded pool), parallel guesses count while
// they are in flight, the per-name limit slows guessers down without locking the owner out (device
// cookies), per-client budgets for attempts and new accounts, a full hashing queue answers 503 at
// once, and what a client says about itself (X-Forwarded-For/-Proto) counts only from a trusted
// proxy.
//
// Tests marked "defaults" run chatd with its real limits (no lifted test budgets, no flags), so
// they also show what the code before these fixes did wrong.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";

import { connectChat } from "../lib/chat-client.mjs";
import { account, signIn } from "../lib/fixtures.mjs";
import { request } from "../lib/net.mjs";
import { sleep } from "../lib/wait.mjs";
import { hostile } from "./setup.mjs";

const DEFAULTS = { defaultLimits: true };
// Per-address limits high enough that a flood from one address reaches the hasher.
const OPEN_LIMITS = ["--sign-ins-per-minute", "100000", "--sign-ups-per-hour", "100000", "--sign-ups-per-minute-total", "100000"];

function cookieValue(setCookie, name) {
  for (const c of setCookie) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m && m[1] !== "") return { pair: `${name}=${m[1]}`, value: m[1], header: c };
  }
  return null;
}

function deviceCookie(res) {
  return cookieValue(res.setCookie, "chat_device");
}

function assertRefused(res, status, error, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json?.error, error, `${what}: ${res.text}`);
  const retry = res.headers.get("retry-after");
  assert.match(retry ?? "", /^[1-9][0-9]*$/, `${what}: Retry-After ${JSON.stringify(retry)}`);
  assert.equal(res.cookie, null, `${what}: no session`);
  return Number(retry);
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Keeps `client` sending a message every `everyMs` until stop() is called; resolves with the ack
 * latencies (ms). A refused or missing ack fails the test.
 */
function keepSending(client, roomId, everyMs = 250) {
  let running = true;
  const latencies = [];
  const done = (async () => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      const ack = await client.ack("message:send", { roomId, text: `still here ${i}`, clientId: `steady-${i}` }, 20000);
      latencies.push(performance.now() - t0);
      assert.equal(ack?.ok, true, `message ${i}: ${JSON.stringify(ack)}`);
      await sleep(everyMs);
    }
    return latencies;
  })();
  return {
    stop() {
      running = false;
      return done;
    },
  };
}

/**
 * `n` sign-ins fired `perBatch` at a time every `gapMs`: new names, and every other one a wrong
 * password for one of `victims` (when there are any).
 */
async function flood(s, n, victims, { perBatch = 10, gapMs = 400 } = {}) {
  const pending = [];
  for (let i = 0; i < n; i += perBatch) {
    for (let j = i; j < Math.min(n, i + perBatch); j++) {
      const guess = victims.length > 0 && j % 2 === 0;
      pending.push(guess ? signIn(s, victims[j % victims.length], `guess-${j}`) : signIn(s, `newcomer${j}`, `pw-${j}`));
    }
    await sleep(gapMs);
  }
  return Promise.all(pending);
}

async function floodWhileChatting(s, { bound, victims = ["victim1", "victim2"] }) {
  for (const v of victims) await account(s, v);
  const alice = await connectChat(s, (await account(s, "alice")).cookie, { label: "alice" });
  const general = alice.room("general");
  await alice.send(general.id, "warming up");
  const sender = keepSending(alice, general.id);
  await sleep(500);
  const t0 = performance.now();
  const answers = await flood(s, 60, victims);
  const floodMs = performance.now() - t0;
  await sleep(300);
  const latencies = await sender.stop();
  const statuses = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  const p99 = percentile(latencies, 99);
  const summary = `${latencies.length} acks, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms; flood of 60 answered in ${floodMs.toFixed(0)} ms: ${JSON.stringify(statuses)}`;
  console.log(`  ${summary}`);
  assert.ok(latencies.length >= 8, summary);
  assert.ok(p99 < bound, `message:send ack p99 ${p99.toFixed(1)} ms during the flood (bound ${bound} ms): ${summary}`);
  for (const a of answers) assert.ok([201, 401, 429, 503].includes(a.status), `${a.status} ${a.text}`);
  return statuses;
}

// ---- (a) a flood of anonymous sign-ins does not reach the chat ----

hostile("defaults: 60 anonymous sign-ins in a few seconds, stopped early by the per-address limits, leave an active user's acks fast", DEFAULTS, async (s) => {
  const statuses = await floodWhileChatting(s, { bound: 300 });
  assert.ok((statuses[429] ?? 0) >= 30, `most of the flood is refused by the per-address limits: ${JSON.stringify(statuses)}`);
});

hostile("60 anonymous sign-ups that all reach the hasher leave an active user's acks fast", { args: OPEN_LIMITS }, async (s) => {
  // All new names, no per-address limit in the way: 60 argon2id hashes (or 503s once the hashing
  // queue is full) while alice chats.
  const statuses = await floodWhileChatting(s, { bound: 300, victims: [] });
  assert.equal((statuses[201] ?? 0) + (statuses[503] ?? 0), 60, `the flood was hashed: ${JSON.stringify(statuses)}`);
  assert.ok((statuses[201] ?? 0) >= 20, `the flood was hashed: ${JSON.stringify(statuses)}`);
  const metrics = await request(s, "GET", "/metrics");
  assert.match(metrics.text, /chatd_password_hashes_in_flight 0/);
});

// ---- (b) parallel guesses count while in flight ----

hostile("defaults: 30 parallel wrong guesses for one name are checked at most 5 times, the rest get 429", DEFAULTS, async (s) => {
  await account(s, "target", "target-secret");
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(s, "target", `guess-${i}`)));
  const checked = answers.filter((a) => a.status === 401);
  const limited = answers.filter((a) => a.status === 429);
  assert.ok(checked.length <= 5 && checked.length >= 1, `${checked.length} guesses checked: ${answers.map((a) => a.status)}`);
  assert.equal(checked.length + limited.length, 30, answers.map((a) => `${a.status} ${a.text}`).join("\n"));
  for (const a of limited) assertRefused(a, 429, "rate_limited", "a guess over the limit");
});

hostile("30 parallel wrong guesses for one name from 30 addresses are checked at most 5 times", { args: ["--trusted-proxies", "127.0.0.1"] }, async (s) => {
  await account(s, "target", "target-secret");
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) => signIn(s, "target", `guess-${i}`, { headers: { "x-forwarded-for": `198.51.100.${i + 1}` } })),
  );
  const checked = answers.filter((a) => a.status === 401).length;
  const limited = answers.filter((a) => a.status === 429);
  assert.ok(checked <= 5 && checked >= 1, `${checked} checked: ${answers.map((a) => a.status)}`);
  assert.equal(checked + limited.length, 30);
  for (const a of limited) assert.match(a.json.message, /for this name/);
});

// ---- (c) the owner is not locked out ----

hostile("defaults: the owner's device signs in while the name is being guessed; guessing slows down ever more", DEFAULTS, async (s) => {
  const first = await signIn(s, "owner", "owner-secret");
  assert.equal(first.status, 201, first.text);
  const device = deviceCookie(first);
  assert.ok(device, `a device cookie with the first sign-in: ${JSON.stringify(first.setCookie)}`);
  assert.match(device.header, /; Path=\/api\/session;/);
  assert.match(device.header, /HttpOnly/);
  assert.match(device.header, /SameSite=Lax/);
  assert.match(device.header, /Max-Age=31536000/);
  assert.doesNotMatch(device.header, /Secure/, "plain http, no trusted proxy");

  // Guessing: five free failures, then slowed down, each further wrong guess waiting twice as long
  // as the one before (not a hard lock-out).
  for (let i = 1; i <= 5; i++) assert.equal((await signIn(s, "owner", `guess-${i}`)).status, 401, `guess ${i}`);
  const waits = [assertRefused(await signIn(s, "owner", "guess-6"), 429, "rate_limited", "the 6th guess at once")];
  for (let i = 0; i < 2; i++) {
    await sleep(waits.at(-1) * 1000 + 100);
    assert.equal((await signIn(s, "owner", `late-guess-${i}`)).status, 401, `late guess ${i} is checked after its wait`);
    waits.push(assertRefused(await signIn(s, "owner", "again"), 429, "rate_limited", `after late guess ${i}`));
  }
  assert.deepEqual(waits, [1, 2, 4]);

  // Within those 4 s: the owner without a device cookie (a new browser) meets the slowdown too,
  // but not on a device that signed in before.
  const [stranger, owner] = await Promise.all([
    signIn(s, "owner", "owner-secret"),
    signIn(s, "owner", "owner-secret", { cookie: device.pair }),
  ]);
  assertRefused(stranger, 429, "rate_limited", "the right password on a new device while slowed down");
  assert.match(stranger.json.message, /for this name/);
  assert.equal(owner.status, 200, `the owner's device: ${owner.text}`);
  assert.ok(owner.cookie, "a session for the owner");
  const renewed = deviceCookie(owner);
  assert.ok(renewed, "the device cookie is renewed");
  assert.equal(renewed.value.split(".")[2], device.value.split(".")[2], "the same device");
  assert.equal((await request(s, "GET", "/api/me", { cookie: owner.cookie })).json.user.name, "owner");
  // A wrong password on the owner's device counts against that device only: it is still checked.
  assert.equal((await signIn(s, "owner", "typo", { cookie: device.pair })).status, 401);
  assert.equal((await signIn(s, "owner", "owner-secret", { cookie: device.pair })).status, 200);
  // A device cookie of another account, or a forged one, exempts nothing.
  const other = await signIn(s, "other", "other-secret");
  const forged = `chat_device=${device.value.slice(0, -1)}${device.value.endsWith("0") ? "1" : "0"}`;
  const [foreign, fake] = await Promise.all([
    signIn(s, "owner", "owner-secret", { cookie: deviceCookie(other).pair }),
    signIn(s, "owner", "owner-secret", { cookie: forged }),
  ]);
  assertRefused(foreign, 429, "rate_limited", "another account's device");
  assertRefused(fake, 429, "rate_limited", "a forged device cookie");
});

// ---- (d) per-client budgets ----

hostile("defaults: more than 20 sign-in attempts a minute from one address get 429, right passwords included", DEFAULTS, async (s) => {
  await account(s, "busy", "busy-secret");
  const statuses = [];
  let limited = null;
  for (let i = 0; i < 25 && !limited; i++) {
    const res = await signIn(s, "busy", "busy-secret");
    statuses.push(res.status);
    if (res.status === 429) limited = res;
  }
  assert.ok(limited, `no 429 in 25 sign-ins: ${statuses}`);
  // 20 at once (the account's creation was one of them), plus one per 3 s while they ran.
  const ok = statuses.filter((x) => x === 200).length;
  assert.ok(ok >= 19 && ok <= 22, `${ok} sign-ins before the 429: ${statuses}`);
  const wait = assertRefused(limited, 429, "rate_limited", "the 21st attempt");
  assert.ok(wait <= 3, `Retry-After ${wait}: one attempt per 3 s comes back`);
  assert.match(limited.json.message, /from your address/);
  // Waiting as told lets one more attempt through.
  await sleep(wait * 1000 + 100);
  assert.equal((await signIn(s, "busy", "busy-secret")).status, 200);
  assert.match((await request(s, "GET", "/metrics")).text, /chatd_rate_limited_total [1-9]/);
});

hostile("defaults: more than 10 new accounts an hour from one address get 429", DEFAULTS, async (s) => {
  for (let i = 1; i <= 10; i++) assert.equal((await signIn(s, `new${i}`, "pw")).status, 201, `account ${i}`);
  const refused = await signIn(s, "new11", "pw");
  const wait = assertRefused(refused, 429, "rate_limited", "the 11th account");
  assert.ok(wait > 60 && wait <= 360, `Retry-After ${wait}: one account per 6 minutes comes back`);
  assert.match(refused.json.message, /new accounts/);
  // Signing in to the existing accounts is not a sign-up.
  assert.equal((await signIn(s, "new3", "pw")).status, 200);
});

hostile("new accounts are limited for everyone together too", { args: ["--trusted-proxies", "127.0.0.1", "--sign-ups-per-minute-total", "5"] }, async (s) => {
  const from = (i) => ({ headers: { "x-forwarded-for": `203.0.113.${i}` } });
  for (let i = 1; i <= 5; i++) assert.equal((await signIn(s, `crowd${i}`, "pw", from(i))).status, 201, `account ${i}`);
  const refused = await signIn(s, "crowd6", "pw", from(6));
  const wait = assertRefused(refused, 429, "rate_limited", "the 6th account in a minute");
  assert.ok(wait <= 12, `Retry-After ${wait}`);
  // Existing accounts still sign in.
  assert.equal((await signIn(s, "crowd2", "pw", from(7))).status, 200);
});

// ---- (e) a full hashing queue ----

hostile("a full password-hashing queue answers 503 at once", { args: [...OPEN_LIMITS, "--hash-threads", "1", "--hash-queue", "1"] }, async (s) => {
  const timed = async (i) => {
    const t0 = performance.now();
    const res = await signIn(s, `rush${i}`, `pw-${i}`);
    return { res, ms: performance.now() - t0 };
  };
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => timed(i)));
  const created = answers.filter((a) => a.res.status === 201);
  const refused = answers.filter((a) => a.res.status === 503);
  assert.equal(created.length + refused.length, 12, answers.map((a) => `${a.res.status} ${a.res.text}`).join("\n"));
  // One hashing, one waiting (or, if the thread had not picked the first one up yet, just one
  // waiting): the rest arrive while the queue is full.
  assert.ok(created.length >= 1 && refused.length >= 4, `${created.length} created, ${refused.length} refused`);
  for (const a of refused) {
    assertRefused(a.res, 503, "overloaded", "a sign-up with the hashing queue full");
    assert.ok(a.ms < 1000, `503 after ${a.ms.toFixed(0)} ms`);
  }
  const slowestRefusal = Math.max(...refused.map((a) => a.ms));
  const slowestCreation = Math.max(...created.map((a) => a.ms));
  assert.ok(slowestRefusal < slowestCreation, `refusals (${slowestRefusal.toFixed(0)} ms) come before the queue drains (${slowestCreation.toFixed(0)} ms)`);
  assert.match((await request(s, "GET", "/metrics")).text, /chatd_overloaded_total [1-9]/);
  // The queue drains: the refused names can sign up now.
  const retry = await signIn(s, "rush0", "pw-0");
  assert.ok([200, 201].includes(retry.status), retry.text);
});

// ---- (f) Secure and HSTS only through a trusted proxy ----

async function httpsClaims(s, opts = {}) {
  const headers = { "x-forwarded-proto": "https", ...(opts.headers ?? {}) };
  const res = await signIn(s, "tls", "tls-secret", { headers });
  assert.ok([200, 201].includes(res.status), res.text);
  const health = await request(s, "GET", "/healthz", { headers });
  return { res, health };
}

hostile("defaults: a client's own X-Forwarded-Proto: https gives neither Secure cookies nor HSTS", DEFAULTS, async (s) => {
  const { res, health } = await httpsClaims(s);
  for (const c of res.setCookie) assert.doesNotMatch(c, /Secure/, c);
  assert.equal(res.headers.get("strict-transport-security"), null);
  assert.equal(health.headers.get("strict-transport-security"), null);
});

hostile("X-Forwarded-Proto from a peer that is not a listed proxy is not believed either", { args: ["--trusted-proxies", "10.0.0.1"] }, async (s) => {
  const { res, health } = await httpsClaims(s);
  for (const c of res.setCookie) assert.doesNotMatch(c, /Secure/, c);
  assert.equal(res.headers.get("strict-transport-security"), null);
  assert.equal(health.headers.get("strict-transport-security"), null);
});

hostile("behind a trusted proxy that says https: Secure cookies and HSTS", { args: ["--trusted-proxies", "127.0.0.1"] }, async (s) => {
  const { res, health } = await httpsClaims(s, { headers: { "x-forwarded-for": "203.0.113.50" } });
  assert.equal(res.setCookie.length, 2, JSON.stringify(res.setCookie));
  for (const c of res.setCookie) assert.match(c, /; Secure/, c);
  assert.equal(res.headers.get("strict-transport-security"), "max-age=31536000");
  assert.equal(health.headers.get("strict-transport-security"), "max-age=31536000");
  // The same proxy saying http: no HSTS.
  const plain = await request(s, "GET", "/healthz", { headers: { "x-forwarded-proto": "http" } });
  assert.equal(plain.headers.get("strict-transport-security"), null);
});

// ---- (g) who the client is, behind a trusted proxy ----

hostile("behind a trusted proxy, clients with different X-Forwarded-For have their own limits; IPv6 counts by /64", { args: ["--trusted-proxies", "127.0.0.1", "--sign-ins-per-minute", "3"] }, async (s) => {
  const via = (addr) => ({ headers: { "x-forwarded-for": addr } });
  const burn = async (addr) => {
    for (let i = 0; i < 3; i++) assert.notEqual((await signIn(s, `u${i}`, "pw", via(addr))).status, 429, `${addr} attempt ${i}`);
    assertRefused(await signIn(s, "u0", "pw", via(addr)), 429, "rate_limited", `${addr} 4th attempt`);
  };
  await burn("203.0.113.10");
  assert.equal((await signIn(s, "u0", "pw", via("203.0.113.20"))).status, 200, "another client is not affected");
  // A client cannot pose as another by writing its own X-Forwarded-For: the proxy appends the
  // address it saw, and that right-most one counts.
  assertRefused(await signIn(s, "u0", "pw", via("198.51.100.99, 203.0.113.10")), 429, "rate_limited", "a forged left-most address");
  // IPv6: one subscriber's /64 is one client.
  await burn("2001:db8:1:2::1");
  assertRefused(await signIn(s, "u0", "pw", via("2001:db8:1:2:ffff::9")), 429, "rate_limited", "the same /64");
  assert.equal((await signIn(s, "u0", "pw", via("2001:db8:1:3::1"))).status, 200, "another /64");
});

hostile("X-Forwarded-For from a peer that is not a trusted proxy is ignored", { args: ["--trusted-proxies", "10.0.0.1", "--sign-ins-per-minute", "3"] }, async (s) => {
  for (let i = 0; i < 3; i++) assert.notEqual((await signIn(s, `v${i}`, "pw", { headers: { "x-forwarded-for": `203.0.113.${i + 1}` } })).status, 429);
  assertRefused(await signIn(s, "v0", "pw", { headers: { "x-forwarded-for": "203.0.113.99" } }), 429, "rate_limited", "a new X-Forwarded-For from the same peer");
});

hostile("defaults: X-Forwarded-For is ignored without trusted proxies", DEFAULTS, async (s) => {
  await account(s, "walt", "walt-secret");
  // Every attempt claims another address; all of them count against the one peer.
  const statuses = [];
  let limited = null;
  for (let i = 1; i <= 25 && !limited; i++) {
    const res = await signIn(s, "walt", "walt-secret", { headers: { "x-forwarded-for": `203.0.113.${i}` } });
    statuses.push(res.status);
    if (res.status === 429) limited = res;
    else assert.equal(res.status, 200, `attempt ${i}: ${res.text}`);
  }
  assert.ok(limited, `25 attempts with 25 claimed addresses, no 429: ${statuses}`);
  assertRefused(limited, 429, "rate_limited", "an attempt over the peer's budget");
});
