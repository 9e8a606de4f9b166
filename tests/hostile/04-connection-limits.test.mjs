// Connections and Engine.IO sessions one client, and everyone together, can make the server hold
// (issue #9): caps with a clear answer, slow headers, running out of file descriptors, and
// answers that reach a client still sending a body the server refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";

import { account, makePng, multipart } from "../lib/fixtures.mjs";
import { rawTcp, readAll, request } from "../lib/net.mjs";
import { sleep, until } from "../lib/wait.mjs";
import { hostile } from "./setup.mjs";

/** Opens `n` TCP connections and sends nothing; resolves with the sockets and what each got. */
async function openMany(s, n) {
  const socks = [];
  for (let i = 0; i < n; i++) {
    const sock = await rawTcp(s);
    sock.got = "";
    sock.wasClosed = false;
    sock.on("data", (d) => (sock.got += d.toString("latin1")));
    sock.on("close", () => (sock.wasClosed = true));
    sock.on("error", () => {});
    socks.push(sock);
  }
  await sleep(300);
  return socks;
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

hostile("connections from one address beyond the per-client cap get 429 and are closed", { args: ["--max-connections-per-client", "20"] }, async (s) => {
  const socks = await openMany(s, 26);
  const refused = socks.filter((c) => c.wasClosed && /^HTTP\/1\.1 429/.test(c.got));
  const open = socks.filter((c) => !c.wasClosed);
  // The test's own keep-alive connection (the readiness check) may hold one of the 20.
  assert.ok(open.length <= 20 && open.length >= 19 && refused.length === 26 - open.length,
    `${open.length} open, ${refused.length} refused with 429: ${socks.map((c) => c.got.slice(0, 12) || (c.wasClosed ? "closed" : "open")).join(",")}`);
  assert.match(refused[0].got, /"error":"rate_limited"/);
  for (const c of socks) c.destroy();
  await sleep(300);
  // The slots are free again.
  assert.equal((await request(s, "GET", "/healthz")).status, 200);
  assert.equal(s.output().split("too many connections from this address").length - 1 <= 6, true);
});

hostile("connections beyond the global cap get 503 until others close", { args: ["--max-connections", "30", "--max-connections-per-client", "1000"] }, async (s) => {
  const socks = await openMany(s, 36);
  const refused = socks.filter((c) => c.wasClosed && /^HTTP\/1\.1 503/.test(c.got));
  const open = socks.filter((c) => !c.wasClosed);
  assert.ok(open.length <= 30 && open.length >= 29 && refused.length === 36 - open.length, `${open.length} open, ${refused.length} refused with 503`);
  assert.match(refused[0].got, /"error":"overloaded"/);
  for (const c of socks.slice(0, 10)) c.destroy();
  await sleep(300);
  assert.equal((await request(s, "GET", "/healthz")).status, 200);
  const metrics = await request(s, "GET", "/metrics");
  assert.match(metrics.text, /chatd_connections_refused_total [1-9]/);
  for (const c of socks) c.destroy();
});

hostile("a request whose headers dribble in is cut off after the header timeout", { args: ["--header-timeout", "1000"] }, async (s) => {
  const sock = await rawTcp(s);
  const done = readAll(sock, 6000);
  sock.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const started = Date.now();
  const drip = setInterval(() => {
    if (!sock.destroyed) sock.write("X-Slow: 1\r\n");
  }, 200);
  await done;
  clearInterval(drip);
  const took = Date.now() - started;
  assert.ok(took < 3000, `closed after ${took} ms`);
  // A connection that never sends anything is closed too.
  const idle = await rawTcp(s);
  const t0 = Date.now();
  await readAll(idle, 6000);
  assert.ok(Date.now() - t0 < 3000, `idle connection closed after ${Date.now() - t0} ms`);
  // ... but a kept-alive connection may wait longer than that for its next request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise((resolve, reject) => {
      http.get({ host: "127.0.0.1", port: s.port, path: "/healthz", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      }).on("error", reject);
    });
  assert.equal(await get(), 200);
  await sleep(700);
  assert.equal(await get(), 200);
  agent.destroy();
});

hostile("Engine.IO handshakes beyond the per-client session cap get 429 with an Engine.IO error body", { args: ["--max-sessions-per-client", "10"] }, async (s) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const statuses = [];
  let refusedBody = null;
  for (let i = 0; i < 40; i++) {
    const res = await new Promise((resolve, reject) => {
      http.get({ host: "127.0.0.1", port: s.port, path: "/socket.io/?EIO=4&transport=polling", agent }, (r) => {
        let body = "";
        r.on("data", (d) => (body += d));
        r.on("end", () => resolve({ status: r.statusCode, body }));
      }).on("error", reject);
    });
    statuses.push(res.status);
    if (res.status !== 200) refusedBody = res.body;
  }
  agent.destroy();
  assert.equal(statuses.filter((x) => x === 200).length, 10, statuses.join(","));
  assert.equal(statuses.filter((x) => x === 429).length, 30);
  assert.deepEqual(JSON.parse(refusedBody), { code: 3, message: "Too many sessions from this client" });
});

hostile("sessions that never join a namespace are closed after the connect timeout (10 s by default)", { timeout: 60000 }, async (s) => {
  const open = await request(s, "GET", "/socket.io/?EIO=4&transport=polling");
  const sid = JSON.parse(open.text.slice(1)).sid;
  await sleep(10500);
  // The session is gone (or ends with a close packet on this last poll).
  const res = await request(s, "GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { ms: 3000 });
  assert.ok(res.status === 400 || res.text.endsWith("1"), `${res.status} ${res.text}`);
});

hostile(
  "out of file descriptors: the accept loop pauses instead of spinning, logs a bounded number of lines, and recovers",
  {
    prefix: ["prlimit", "--nofile=160:160", "--"],
    args: ["--max-connections", "100000", "--max-connections-per-client", "100000"] },
  async (s) => {
    // UBSan checks a vptr by reading the vtable through a pipe; with no descriptor left it
    // cannot make one and reports the object as having an invalid vptr (then prints its memory,
    // or "<memory cannot be printed>" when that needs a pipe too). While this test keeps chatd
    // out of descriptors, those reports are the sanitizer's own limit, not chatd's: they are set
    // aside (see CMakeLists.txt: vptr reports do not abort). Every other report still fails it.
    s.ignoredReports = [
      /[^\n]*runtime error: [^\n]*which does not point to an object of type[^\n]*\n[^\n]*note: object has invalid vptr\n(?:<memory cannot be printed>\n|[^\n]*\n[^\n]*\^~+[^\n]*\n(?:[^\n]*vptr for[^\n]*\n)?)/g,
    ];
    const socks = [];
    // Far more than the descriptors chatd has.
    for (let i = 0; i < 260; i++) {
      try {
        const sock = await rawTcp(s);
        sock.on("error", () => {});
        socks.push(sock);
      } catch {
        break;
      }
    }
    await sleep(500);
    const cpu0 = cpuSeconds(s.proc.pid);
    await sleep(2000);
    const cpu = cpuSeconds(s.proc.pid) - cpu0;
    assert.ok(cpu < 0.6, `chatd used ${cpu.toFixed(2)} s of CPU in 2 s while out of descriptors`);
    const lines = s.output().split("accept failed").length - 1;
    assert.ok(lines > 0 && lines < 30, `${lines} "accept failed" lines`);
    for (const sock of socks) sock.destroy();
    // Descriptors free again: serving resumes.
    await until(async () => (await request(s, "GET", "/healthz", { ms: 2000 }).catch(() => ({}))).status === 200, 10000, "healthz after recovery");
    assert.equal((await request(s, "GET", "/healthz")).status, 200);
  },
);

hostile("a refused upload's 413 reaches a client that is still sending the body (Node fetch)", {}, async (s) => {
  const { cookie } = await account(s, "big");
  // 6 MiB of valid PNG bytes, over the 5 MiB avatar limit.
  const png = makePng(8);
  const body = multipart([{ name: "avatar", filename: "big.png", contentType: "image/png", data: Buffer.concat([png, Buffer.alloc(6 * 1024 * 1024, 1)]) }]);
  const res = await fetch(`${s.url}/api/avatar`, {
    method: "POST",
    headers: { cookie, "content-type": body.contentType },
    body: body.body,
  });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error, "too_large");
});
