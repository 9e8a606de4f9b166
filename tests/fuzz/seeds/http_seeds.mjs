#!/usr/bin/env node
// Writes the hand-made seeds of http_request_fuzzer (tests/fuzz/corpus/http_request_fuzzer/
// seed_* and regression_*): what the captured requests (capture.mjs) do not show — pipelining,
// every body framing, the limits, and malformed or hostile requests.
//
// Usage: node tests/fuzz/seeds/http_seeds.mjs [OUT_DIR]   (default: that corpus directory)
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(process.argv[2] || path.join(here, "..", "corpus", "http_request_fuzzer"));

const H = "Host: localhost:8888\r\n";
const ORIGIN = "Origin: http://localhost:8888\r\n";
const get = (target, headers = "") => `GET ${target} HTTP/1.1\r\n${H}${headers}\r\n`;
const withBody = (method, target, headers, body) =>
  `${method} ${target} HTTP/1.1\r\n${H}${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const chunked = (...pieces) => pieces.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("") + "0\r\n\r\n";
const smuggled = get("/api/me", "Cookie: chat_session=stolen\r\n");
const blob = "3f".repeat(32);
const multipart = (boundary, parts) =>
  parts.map((p) => `--${boundary}\r\n${p}`).join("\r\n") + `\r\n--${boundary}--\r\n`;

const seeds = {
  // Engine.IO: handshake, poll, post (two packets), upgrade with the session, CORS preflight.
  seed_eio_handshake: get("/socket.io/?EIO=4&transport=polling&t=OyJ3kQ2", ORIGIN),
  seed_eio_poll: get("/socket.io/?EIO=4&transport=polling&t=OyJ3kQ3&sid=s1d-AAAAAAAAAAAAAAAAAAA"),
  seed_eio_post: withBody("POST", "/socket.io/?EIO=4&transport=polling&sid=s1d-AAAAAAAAAAAAAAAAAAA",
                          "Content-Type: text/plain;charset=UTF-8\r\n", '40\x1e42["message:send",{"roomId":1,"text":"hi"}]\x1ebAQID'),
  seed_eio_upgrade: get("/socket.io/?EIO=4&transport=websocket&sid=s1d-AAAAAAAAAAAAAAAAAAA",
                        "Connection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\n" +
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + ORIGIN),
  seed_eio_websocket_bad_key: get("/socket.io/?EIO=4&transport=websocket",
                                  "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: short\r\n"),
  seed_eio_preflight: `OPTIONS /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n${H}Origin: https://chat.example\r\n` +
                      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, x-requested-with\r\n\r\n",
  seed_eio_cross_origin: get("/socket.io?EIO=4&transport=polling", "Origin: http://evil.example\r\n"),
  seed_eio_query_encoding: get("/socket.io/?EIO=%34&transport=poll%69ng&sid&sid=x+y%20z&%ZZ=1"),

  // The chat API: sign-in, history with odd numbers, an upload, sign-out, cookies.
  seed_session_post: withBody("POST", "/api/session", "Content-Type: application/json\r\n" + ORIGIN +
                              "Sec-Fetch-Site: same-origin\r\n", '{"name":"Zo\u00eb","password":"pw"}'),
  seed_session_cross_site: withBody("POST", "/api/session", "Content-Type: application/json\r\nSec-Fetch-Site: cross-site\r\n" +
                                    "Origin: http://evil.example\r\n", '{"name":"a","password":"b"}'),
  seed_history_numbers: get("/api/rooms/9223372036854775807/messages?before=-12&limit=99999999999999999999&limit=5"),
  seed_history_bad: get("/api/rooms/12/messages/?before=%2B7&before=0x10&limit= 3"),
  seed_avatar_upload: withBody("POST", "/api/avatar", "Content-Type: multipart/form-data; boundary=XyZ\r\n" +
                               "Cookie: theme=dark; chat_session=\"tok3n\"; other=1\r\n" + ORIGIN,
                               multipart("XyZ", ['Content-Disposition: form-data; name="avatar"; filename="../a.png"\r\n' +
                                                 "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n....",
                                                 'Content-Disposition: form-data; name="note"\r\n\r\nhello'])),
  seed_avatar_image: get(`/avatars/${blob}.webp`),
  seed_session_delete: `DELETE /api/session HTTP/1.1\r\n${H}Cookie: chat_session=abc\r\nContent-Length: 0\r\n\r\n`,
  seed_static_head: `HEAD / HTTP/1.1\r\n${H}\r\n`,
  seed_operations: get("/healthz") + get("/readyz") + get("/metrics", "Connection: close\r\n"),

  // Pipelining and body framings.
  seed_pipelined_keep_alive: get("/api/me") + get("/socket.io/?EIO=4&transport=polling") +
                             withBody("POST", "/api/session", "Content-Type: application/json\r\n", "{}") + get("/nothing"),
  seed_http10: "GET /api/rooms HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /api/me HTTP/1.0\r\n\r\n",
  seed_chunked_extensions_trailer: `POST /api/session HTTP/1.1\r\n${H}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
                                   '5;ext=1\r\n{"nam\r\n10\r\ne":"x","passwor\r\n6\r\nd":"y}\r\n0\r\nTrailer-Field: t\r\n\r\n' + get("/healthz"),
  seed_chunked_avatar: `POST /api/avatar HTTP/1.1\r\n${H}Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n` +
                       chunked('--b\r\nContent-Disposition: form-data; name="avatar"; filename="x.gif"\r\n\r\nGIF8', "9a\r\n--b--\r\n"),
  seed_expect_continue: withBody("POST", "/api/session", "Content-Type: application/json\r\nExpect: 100-continue\r\n", '{"name":"n"}'),

  // Limits: a body over the route's limit by Content-Length and chunked, a header near 16 KiB.
  seed_body_over_limit_by_length: `POST /api/session HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 9000\r\n\r\n{}`,
  seed_body_over_limit_chunked: `POST /socket.io/?EIO=4&transport=polling&sid=s HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n` +
                                chunked("4" + "x".repeat(3000), "y".repeat(3000)),
  seed_header_near_limit: get("/api/me", `Cookie: chat_session=${"a".repeat(16 * 1024 - 200)}\r\n`),
  seed_header_over_limit: get("/api/me", `Cookie: chat_session=${"a".repeat(16 * 1024 + 10)}\r\n`),

  // Malformed and hostile.
  seed_cl_and_te: `POST /api/session HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  seed_duplicate_cl: `POST /api/session HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 20\r\n\r\n{}`,
  seed_te_not_chunked_last: `POST /api/session HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`,
  seed_huge_chunk_size: `POST /api/avatar HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nx`,
  seed_obs_fold: `GET /api/me HTTP/1.1\r\n${H}Cookie: a=1;\r\n chat_session=folded\r\nOrigin: http://localhost:8888\r\n\r\n`,
  seed_bare_lf: "GET /api/me HTTP/1.1\nHost: localhost:8888\n\n",
  seed_nul_in_header: `GET /api/me HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`,
  seed_absolute_target: "GET http://localhost:8888/api/me?x=1 HTTP/1.1\r\nHost: other\r\n\r\n",
  seed_unknown_method: `BREW /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n${H}\r\n`,
  seed_truncated: "POST /api/session HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"na",
  seed_garbage: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello on the HTTP port",

  // Regressions.
  // A request smuggled in the body of a GET the route does not read (fixed: the connection closes).
  regression_unread_body_get: withBody("GET", "/socket.io/?EIO=4&transport=polling", "", smuggled),
  regression_unread_body_preflight: withBody("OPTIONS", "/socket.io/?EIO=4&transport=polling", ORIGIN, smuggled),
  regression_unread_body_chunked_head: `HEAD / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n` + chunked(smuggled),
  // The prefix route /avatars/ also matches "/avatars", which avatar_image cut past its end.
  regression_avatars_without_slash: get("/avatars") + get("/avatars/"),
};

mkdirSync(OUT, { recursive: true });
for (const [name, text] of Object.entries(seeds)) writeFileSync(path.join(OUT, name), Buffer.from(text, "latin1"));
console.log(`${Object.keys(seeds).length} seeds written to ${OUT}`);
