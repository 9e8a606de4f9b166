/*
 * Reading, as the server keeps it (issue #13): a message is read once it is actually seen — on
 * screen in the message list (IntersectionObserver), with the page visible and focused — and the
 * newest seen seq goes to the server as `room:read {roomId, seq}`, at most once a second per
 * room and only forward (the server allows 5 a second and never moves back anyway). The ack and
 * the `room:read` events of the user's other tabs move room.readSeq (rooms.js); the unread counts
 * and the title follow, and so does the "New messages" divider of the open room for reads done
 * elsewhere (live-events.js; reading here leaves it where the room was opened).
 */
import { renderRooms } from './render-rooms.js';
import { connected, request } from './request.js';
import { applyServerRead, currentRoom } from './rooms.js';
import { state } from './state.js';
import { readTarget } from './unread.js';
import { ui } from './ui.js';

const SEND_EVERY_MS = 1000;
const visible = new Set();  // seqs of the open room's messages on screen
const sending = new Map();  // roomId -> { timer, lastAt, want }
const observed = new Set(); // the message nodes the observer watches
let observer = null;

function onIntersect(entries) {
  for (const e of entries) {
    const seq = Number(e.target.dataset.seq);
    if (!Number.isSafeInteger(seq)) continue;
    // Half of it on screen, or half the screen for a message taller than two screens.
    const seen = e.isIntersecting && (e.intersectionRatio >= 0.5
      || (e.rootBounds && e.intersectionRect.height >= 0.5 * e.rootBounds.height));
    if (seen) visible.add(seq); else visible.delete(seq);
  }
  checkRead();
}

/** Watches the open room's stored messages (render-messages.js calls this after every render). */
export function observeMessages(nodes) {
  if (typeof IntersectionObserver !== 'function') return;
  if (!observer) observer = new IntersectionObserver(onIntersect, { root: ui.messagesScroll, threshold: [0, 0.1, 0.25, 0.5, 1] });
  const shown = new Set();
  for (const n of nodes) {
    if (!n.dataset || !n.dataset.seq) continue;
    shown.add(n);
    if (!n._observed) { observer.observe(n); n._observed = true; }
  }
  // Nodes replaced (changed messages) or gone (room switch) stop counting.
  for (const n of Array.from(observed)) {
    if (!shown.has(n)) { observer.unobserve(n); n._observed = false; observed.delete(n); visible.delete(Number(n.dataset.seq)); }
  }
  for (const n of shown) observed.add(n);
}

/** A room switch: what was on screen belonged to the other room. */
export function forgetVisible() {
  visible.clear();
}

/** The user can see the page now: visible, and the window focused (not merely open behind another). */
export function canSeeNow() {
  return document.visibilityState === 'visible' && !document.hidden && document.hasFocus();
}

/** Marks what is on screen as read, when it can be seen. */
export function checkRead() {
  const room = currentRoom();
  if (!room || !canSeeNow()) return;
  const seqs = Array.from(visible).filter((s) => room.timeline.bySeq.has(s));
  const target = readTarget(room.readSeq, seqs);
  if (target === null) return;
  applyServerRead(room, target);
  renderRooms();
  queueRead(room.id, target);
}

function queueRead(roomId, seq) {
  let s = sending.get(roomId);
  if (!s) { s = { timer: null, lastAt: 0, want: 0 }; sending.set(roomId, s); }
  s.want = Math.max(s.want, seq);
  if (s.timer) return;
  const wait = Math.max(0, s.lastAt + SEND_EVERY_MS - Date.now());
  s.timer = setTimeout(() => sendRead(roomId, s), wait);
}

const OFFLINE_RETRY_MS = 3000;

async function sendRead(roomId, s) {
  s.timer = null;
  s.lastAt = Date.now();
  const seq = s.want;
  if (!state.rooms.has(roomId)) return;
  if (!connected()) {
    // The position already moved here: it still has to reach the server once we are back.
    s.lastAt = Date.now() + OFFLINE_RETRY_MS;
    queueRead(roomId, seq);
    return;
  }
  try {
    const res = await request('room:read', { roomId, seq });
    const room = state.rooms.get(roomId);
    if (room) {
      applyServerRead(room, typeof res.readSeq === 'number' ? res.readSeq : seq, res.mentionCount);
      renderRooms();
    }
  } catch (e) {
    // Refused for a reason that will pass (too fast, offline, no answer): send it again later.
    if (['rate_limited', 'offline', 'timeout', 'overloaded', 'storage_unavailable'].includes(e.code)) {
      s.lastAt = Date.now() + Math.max(e.retryAfterMs || 0, e.code === 'rate_limited' ? 0 : OFFLINE_RETRY_MS);
      queueRead(roomId, seq);
    }
  }
}

/** Sign-out: nothing more to send. */
export function stopReadMarks() {
  for (const s of sending.values()) clearTimeout(s.timer);
  sending.clear();
  visible.clear();
  observed.clear();
  if (observer) { observer.disconnect(); observer = null; }
}
