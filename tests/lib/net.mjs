// Network helpers of the node test suites: free ports, one HTTP request function, raw TCP.
//
// Every function that talks to a server takes a `target`: a base URL ("http://host:port") or an
// object with a `url` (a Chatd, a cluster replica).
import http from "node:http";
import net from "node:net";

/** A TCP port on `host` that is free right now (bind port 0, read it, release it). */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The base URL of a target (see the file comment) as a URL object. */
export function targetUrl(target) {
  const base = typeof target === "string" ? target : target?.url;
  if (!base) throw new Error(`not a request target (a URL or an object with .url): ${target}`);
  return new URL(base);
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Response headers: the raw node object, plus get(name) like fetch's Headers (null if absent). */
function headersView(raw) {
  const view = { ...raw };
  Object.defineProperty(view, "raw", { value: raw, enumerable: false });
  Object.defineProperty(view, "get", {
    enumerable: false,
    value(name) {
      const v = raw[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    },
  });
  return view;
}

/**
 * One HTTP request on its own connection (node:http, no keep-alive pool, so a server closing a
 * connection never hits a later request). Options: `json` (sent as the body, with
 * Content-Type application/json unless `headers` set one), `body` (Buffer or string), `headers`,
 * `cookie` (the Cookie header), `ms` (deadline, default 15 s).
 * Resolves {status, headers (with get()), buffer, text, json (undefined if not JSON), setCookie}.
 */
export function request(target, method, pathname, { json, body, headers = {}, cookie, ms = 15000 } = {}) {
  const base = targetUrl(target);
  const h = { ...headers };
  if (cookie) h.cookie = cookie;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["content-type"] = "application/json";
  }
  if (typeof payload === "string") payload = Buffer.from(payload, "utf8");
  if (payload !== undefined) h["content-length"] = String(payload.length);
  const what = `${method} ${base.origin}${pathname}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: pathname, headers: h, agent: false },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          clearTimeout(timer);
          const buffer = Buffer.concat(chunks);
          const text = buffer.toString("utf8");
          resolve({
            status: res.statusCode,
            headers: headersView(res.headers),
            buffer,
            text,
            json: parseJson(text),
            setCookie: res.headers["set-cookie"] ?? [],
          });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${e.message}`));
    });
    req.end(payload);
  });
}

/**
 * A POST that sends its headers first and its body only when no answer came within `earlyMs` —
 * so a server that refuses a big upload by its Content-Length answers before any of the body is
 * sent, and the answer is not lost to a connection reset. Resolves {status, headers, text, json,
 * sentBody}.
 */
export function rawUpload(target, pathname, { headers, body, earlyMs = 500, ms = 20000 }) {
  const base = targetUrl(target);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(v);
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish(reject, new Error(`timed out after ${ms} ms: POST ${pathname} (${body.length} bytes)`));
    }, ms);
    const req = http.request({
      host: base.hostname,
      port: base.port,
      method: "POST",
      path: pathname,
      headers: { ...headers, "content-length": String(body.length) },
    });
    let sentBody = false;
    req.on("response", (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        finish(resolve, { status: res.statusCode, headers: res.headers, text, json: parseJson(text), sentBody });
        req.destroy();
      });
      res.on("error", (e) => finish(reject, e));
    });
    req.on("error", (e) => finish(reject, new Error(`POST ${pathname}: ${e.code || e.message} before any answer`)));
    req.flushHeaders();
    setTimeout(() => {
      if (settled) return;
      sentBody = true;
      req.end(body);
    }, earlyMs);
  });
}

/** A plain TCP connection to the target (for header-level misbehaviour). */
export function rawTcp(target) {
  const base = targetUrl(target);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(base.port), base.hostname);
    sock.once("connect", () => resolve(sock));
    sock.once("error", reject);
  });
}

/** Everything a socket sends until it closes or `ms` pass, as latin1 text. Never rejects. */
export function readAll(sock, ms = 5000) {
  return new Promise((resolve) => {
    const chunks = [];
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    };
    const timer = setTimeout(done, ms);
    sock.on("data", (c) => chunks.push(c));
    sock.on("close", done);
    sock.on("error", () => {});
  });
}

/** A TCP relay from 127.0.0.1:`port` to `upstream` {host, port}; resolves the listening server. */
export function tcpRelay(port, upstream) {
  const server = net.createServer((client) => {
    const up = net.connect(Number(upstream.port), upstream.host);
    client.pipe(up).pipe(client);
    client.on("error", () => up.destroy());
    up.on("error", () => client.destroy());
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
