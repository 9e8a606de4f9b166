// Helpers for the hostile-client suite: raw Engine.IO/Socket.IO clients that misbehave on
// purpose (never read, flood, lie, vanish halfway), built on `ws` and `node:net` so that nothing
// in a client library smooths the misbehaviour over; and hostile(), a test with a chatd of its
// own (tests/lib/chat-server.mjs ChatServer: start, assertClean, stop with sanitizer checks).
import { test } from "node:test";
import WebSocket from "ws";
import { closeAllClients } from "../lib/chat-client.mjs";
import { appendLog, ChatServer } from "../lib/chat-server.mjs";
import { tail } from "../lib/chatd.mjs";
import { account } from "../lib/fixtures.mjs";
import { sleep, until, within } from "../lib/wait.mjs";

/**
 * A raw Socket.IO client over a WebSocket, authenticated by `cookie`. It answers heartbeats
 * (unless paused), records every event, and can stop reading its socket (`pause()`): the server
 * then sees a client whose TCP receive window is full, exactly like a stalled browser tab.
 */
const rawClients = new Set();

export class RawClient {
  constructor(server, cookie, { label = "raw" } = {}) {
    rawClients.add(this);
    this.label = label;
    this.events = []; // {event, args}
    this.acks = new Map(); // id -> args
    this.closed = null; // {code, reason} once closed
    this.nextAck = 1;
    const headers = cookie ? { cookie } : {};
    this.ws = new WebSocket(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket`, {
      headers,
      perMessageDeflate: false,
    });
    this.ws.on("error", () => {});
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    this.ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text === "2") {
        if (this.ws.readyState === WebSocket.OPEN) this.ws.send("3");
        return;
      }
      if (text.startsWith("40")) {
        this.connected = true;
        return;
      }
      if (text === "41") {
        this.disconnected = true; // the server ended our namespace connection
        return;
      }
      if (text.startsWith("44")) {
        this.connectError = JSON.parse(text.slice(2));
        return;
      }
      const ack = /^43(\d+)(.*)$/s.exec(text);
      if (ack) {
        this.acks.set(Number(ack[1]), JSON.parse(ack[2]));
        return;
      }
      if (text.startsWith("42")) {
        const [event, ...args] = JSON.parse(text.slice(2));
        this.events.push({ event, args });
      }
    });
  }

  /** Opens the WebSocket, joins namespace "/" and waits for `ready`. */
  async open(ms = 8000) {
    await this.openNamespace(ms);
    this.ready = (await this.waitFor("ready", ms))[0];
    return this.ready;
  }

  /** Opens the WebSocket and joins namespace "/" without waiting for the chat's `ready`. */
  async openNamespace(ms = 8000) {
    if (this.ws.readyState !== WebSocket.OPEN) {
      await within(new Promise((resolve, reject) => {
        this.ws.once("open", resolve);
        this.ws.once("close", () => reject(new Error(`${this.label}: closed before open`)));
      }), ms, `${this.label} opening`);
    }
    this.ws.send("40");
    await until(() => this.connected || this.connectError, ms, `${this.label} namespace connect`);
    if (this.connectError) throw new Error(`${this.label}: connect_error ${JSON.stringify(this.connectError)}`);
  }

  async waitFor(event, ms = 5000) {
    let found;
    await until(() => (found = this.events.find((e) => e.event === event)), ms, `${this.label}: ${event}`);
    return found.args;
  }

  get open_() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Emits `event` with `payload`; with `ack`, returns the ack id to look up in `acks`. */
  emit(event, payload, { ack = false } = {}) {
    if (this.ws.readyState !== WebSocket.OPEN) return null;
    if (!ack) {
      this.ws.send(`42${JSON.stringify([event, payload])}`);
      return null;
    }
    const id = this.nextAck++;
    this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    return id;
  }

  async ack(event, payload, ms = 5000) {
    const id = this.emit(event, payload, { ack: true });
    if (id === null) throw new Error(`${this.label}: not open`);
    await until(() => this.acks.has(id) || this.closed, ms, `${this.label}: ack of ${event}`);
    if (!this.acks.has(id)) throw new Error(`${this.label}: closed before the ack of ${event}`);
    return this.acks.get(id)[0];
  }

  /** Stops reading the TCP socket: the kernel buffers fill, then the server's writes block. */
  pause() {
    this.ws._socket?.pause();
  }

  resume() {
    this.ws._socket?.resume();
  }

  /** Drops the TCP connection without a close handshake. */
  destroy() {
    this.ws._socket?.destroy();
  }

  close() {
    rawClients.delete(this);
    try {
      this.ws.terminate();
    } catch {
      // already gone
    }
  }
}

/** A message text of `n` four-byte characters (n ≤ 4000 is a valid chat message). */
export function heavyText(n = 4000) {
  return "😀".repeat(n);
}

/**
 * test() with a chatd of its own (fresh database, `args` added to its flags; `defaultLimits`:
 * without the test servers' lifted sign-in budgets), so one test's crash or exhausted limit
 * cannot leak into the next. The server is checked for sanitizer reports after the test and must
 * exit cleanly on SIGTERM.
 */
export function hostile(name, { args = [], prefix = [], defaultLimits = false, timeout = 120000 } = {}, fn) {
  test(name, { timeout }, async (t) => {
    const server = new ChatServer({ args, prefix, defaultLimits });
    await server.start();
    const mark = server.mark();
    try {
      await fn(server, t);
      await sleep(50);
      server.assertClean();
    } catch (e) {
      await sleep(150);
      appendLog(e, "chatd log (tail)", tail(server.logSince(mark), 6000));
      throw e;
    } finally {
      closeAllClients();
      for (const c of [...rawClients]) c.close();
      await server.stop().finally(() => server.removeFiles());
    }
  });
}

/** Signs `name` in and opens a RawClient for it (waits for `ready`). */
export async function rawUser(server, name) {
  const { cookie } = await account(server, name);
  const client = new RawClient(server, cookie, { label: name });
  await client.open();
  return client;
}
