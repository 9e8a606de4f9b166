/*
 * Messages written but not yet stored (room.pending): sent one at a time per room, in the order
 * they were written, resent with the same clientId after a reconnect (the server stores a
 * clientId once), retried with back-off on transient errors, kept as failed when refused.
 * Memory only: not kept across a page reload.
 */
import { renderMessages } from './render-messages.js';
import { renderRooms } from './render-rooms.js';
import { connected, request } from './request.js';
import { ingest } from './rooms.js';
import { state } from './state.js';
import { normaliseMessage } from './timeline.js';
import { ui } from './ui.js';

const TRANSIENT = ['timeout', 'rate_limited', 'overloaded', 'storage_unavailable'];

function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === 'function') {
    return window.crypto.randomUUID();
  }
  // randomUUID only exists in secure contexts (https, localhost); getRandomValues everywhere.
  const b = new Uint8Array(16);
  window.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Queues a new message in `room` (status 'queued'; `replyTo`: a seq or null; `attachments`: the
 * uploaded images' Attachments); the caller renders and pumps.
 */
export function queueMessage(room, text, replyTo = null, attachments = []) {
  room.pending.push({
    clientId: newClientId(),
    roomId: room.id,
    text,
    replyTo,
    attachments,
    createdAt: Date.now(),
    status: 'queued',
    error: null,
    inFlight: false,
    attempts: 0,
    retryTimer: null,
  });
}

function rerenderPending(p) {
  if (p.roomId === state.currentRoomId) renderMessages('follow');
}

/**
 * Sends a room's next pending message. Failed ones are skipped (they wait for Retry/Discard);
 * one in flight or waiting for its retry timer holds the queue.
 */
export function pump(roomId) {
  const room = state.rooms.get(roomId);
  if (!room) return;
  for (const p of room.pending) {
    if (p.status === 'failed') continue;
    if (p.inFlight || p.status === 'retrying') return; // wait for its ack or its retry timer
    if (!connected()) {
      if (p.status !== 'queued') { p.status = 'queued'; rerenderPending(p); }
      return;
    }
    sendOne(room, p);
    return;
  }
}

function onAccepted(p, attempt, res) {
  if (attempt === p.attempts) p.inFlight = false;
  const r = state.rooms.get(p.roomId);
  if (!r) return;
  const m = normaliseMessage(res.message);
  if (m && m.roomId === r.id) ingest(r, [res.message]);
  // Accepted: whatever the ack carried, the local copy is done.
  const i = r.pending.indexOf(p);
  if (i >= 0) r.pending.splice(i, 1);
  if (r.id === state.currentRoomId) renderMessages('follow');
  renderRooms();
  pump(r.id);
}

/** Transient refusal: retry with the same clientId, backing off, never sooner than the server asked. */
function retryLater(p, e) {
  p.status = 'retrying';
  p.error = e.code === 'timeout' ? '' : e.text;
  const delay = Math.max(e.retryAfterMs || 0, Math.min(30000, 1000 * 2 ** Math.min(p.attempts, 5)));
  clearTimeout(p.retryTimer);
  p.retryTimer = setTimeout(() => {
    p.retryTimer = null;
    if (p.status !== 'retrying') return;
    p.status = 'queued';
    pump(p.roomId);
  }, delay);
  rerenderPending(p);
}

/** `e`: the RequestError of the ack. */
function onRefused(p, attempt, gen, e) {
  // A newer attempt (after a reconnect) owns the state now; this one is only a late echo.
  if (attempt !== p.attempts) return;
  p.inFlight = false;
  if (e.code === 'offline' || (e.code === 'timeout' && (!connected() || gen !== state.connGen))) {
    // The connection dropped: everything queued is resent on the next `ready`.
    p.status = 'queued';
    rerenderPending(p);
    return;
  }
  if (TRANSIENT.includes(e.code)) {
    retryLater(p, e);
    return;
  }
  p.status = 'failed';
  // The server's own words say why (e.g. "you are not a member of this room").
  p.error = e.serverMessage && !['invalid_text', 'rate_limited'].includes(e.code) ? e.serverMessage : e.text;
  rerenderPending(p);
  pump(p.roomId);
}

function sendOne(room, p) {
  p.inFlight = true;
  p.status = 'sending';
  p.attempts++;
  const attempt = p.attempts;
  rerenderPending(p);
  const gen = state.connGen;
  const payload = { roomId: p.roomId, text: p.text, clientId: p.clientId };
  if (p.replyTo) payload.replyTo = p.replyTo;
  if (p.attachments && p.attachments.length) payload.attachments = p.attachments.map((a) => a.id);
  request('message:send', payload)
    .then((res) => onAccepted(p, attempt, res), (e) => onRefused(p, attempt, gen, e));
}

/** The connection dropped: acks of in-flight sends are lost; all go again on the next `ready`. */
export function requeueAll() {
  for (const room of state.rooms.values()) {
    for (const p of room.pending) {
      p.inFlight = false;
      if (p.status !== 'failed') p.status = 'queued';
    }
  }
}

/** On every `ready`: everything not refused is sent again, with its original clientId. */
export function flushPending() {
  for (const room of state.rooms.values()) {
    for (const p of room.pending) {
      if (p.status === 'failed') continue;
      clearTimeout(p.retryTimer);
      p.retryTimer = null;
      p.inFlight = false;
      p.status = 'queued';
    }
    pump(room.id);
  }
}

function findPending(roomId, clientId) {
  const room = state.rooms.get(roomId);
  if (!room) return null;
  return room.pending.find((p) => p.clientId === clientId) || null;
}

export function retryPending(roomId, clientId) {
  const p = findPending(roomId, clientId);
  if (!p) return;
  p.status = 'queued';
  p.error = null;
  rerenderPending(p);
  pump(roomId);
}

export function discardPending(roomId, clientId) {
  const room = state.rooms.get(roomId);
  if (!room) return;
  const i = room.pending.findIndex((p) => p.clientId === clientId);
  if (i >= 0) {
    clearTimeout(room.pending[i].retryTimer);
    room.pending.splice(i, 1);
  }
  if (room.id === state.currentRoomId) renderMessages('follow');
  ui.composerInput.focus();
}
