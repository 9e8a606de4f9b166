// Test data and accounts: a real PNG, multipart/form-data bodies, signing in over the HTTP API,
// cookies, and listing a directory tree.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { request } from "./net.mjs";

// ---------------------------------------------------------------------------------------------
// Accounts

/** The value of cookie `name` in Set-Cookie headers, or null (an empty value counts as none). */
export function cookieValue(setCookie, name) {
  for (const c of setCookie) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m && m[1] !== "") return m[1];
  }
  return null;
}

/** The `chat_session=...` pair from Set-Cookie headers, or null. */
export function sessionCookie(setCookie) {
  const token = cookieValue(setCookie, "chat_session");
  return token === null ? null : `chat_session=${token}`;
}

/** POST /api/session on `target` (see net.mjs); the response plus `cookie` (null when none was set). */
export async function signIn(target, name, password, extra = {}) {
  const res = await request(target, "POST", "/api/session", { json: { name, password }, ...extra });
  return { ...res, cookie: sessionCookie(res.setCookie) };
}

/** Signs in (the first sign-in creates the account) and asserts success; returns {user, cookie, password}. */
export async function account(target, name, password = `pw-${name}-secret`) {
  const res = await signIn(target, name, password);
  const where = typeof target === "string" ? target : target.url;
  assert.ok(res.status === 200 || res.status === 201, `sign-in of ${name} through ${where}: HTTP ${res.status} ${res.text}`);
  assert.ok(res.cookie, `sign-in of ${name} set no chat_session cookie: ${JSON.stringify(res.setCookie)}`);
  return { user: res.json.user, cookie: res.cookie, password };
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data

/** A multipart/form-data body; parts are {name, filename?, contentType?, data}. */
export function multipart(parts) {
  const boundary = `----chattest${Math.random().toString(16).slice(2)}${Date.now()}`;
  const pieces = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += "\r\n";
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    head += "\r\n";
    pieces.push(Buffer.from(head, "utf8"), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from("\r\n"));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

// ---------------------------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid truecolour PNG of `size` x `size` pixels (a colour gradient, or random noise). */
export function makePng(size = 8, seed = 0, { noise = false } = {}) {
  assert.equal(crc32(Buffer.from("IEND")), 0xae426082, "crc32 self-check");
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      raw[row + 1 + x * 3] = (x * 32 + seed) & 0xff;
      raw[row + 2 + x * 3] = (y * 32 + seed * 7) & 0xff;
      raw[row + 3 + x * 3] = ((x + y) * 16 + seed * 13) & 0xff;
    }
  }
  if (noise) {
    const random = crypto.randomBytes(raw.length);
    for (let y = 0; y < size; y++) {
      const row = y * (1 + size * 3);
      random.copy(raw, row + 1, row + 1, row + 1 + size * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlib.deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Files

/** Every file and directory under `dir` (relative paths, "/" separated). */
export function walk(dir, prefix = "") {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    out.push({ path: rel, dir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...walk(path.join(dir, entry.name), rel));
  }
  return out;
}
