/*
 * The open room's message list: stored messages (by seq), then pending local ones, with day
 * separators, the "New messages" divider, the "load older" button and the empty-state line.
 * Nodes are cached by key (state.nodeCache) and reconciled, so unchanged messages keep their
 * element; a message that changed (edit, delete, reaction: a new Message object) or whose Edit
 * button expired is built again. Retry/Discard buttons on failed messages carry data-action;
 * main.js handles their clicks. Message parts of issue #13 are message-parts.js's.
 */
import { avatarNode } from './avatars.js';
import { h, reconcile, show } from './dom.js';
import { dayKey, dayLabel, fullTimeText, timeText } from './format.js';
import { renderMarkdown } from './markdown.js';
import { attachmentsNode } from './attachment-view.js';
import { normaliseAttachments } from './message-fields.js';
import { connected } from './request.js';
import {
  canEdit, editedNode, mentionMarker, mentionsMeNow, quoteNode, reactionsNode, toolsNode, tombstoneNode,
} from './message-parts.js';
import { observeMessages } from './read-marks.js';
import { currentRoom } from './rooms.js';
import { state } from './state.js';
import { ui } from './ui.js';
import { isMe, userById } from './users.js';
import { validTime } from './values.js';

const AT_BOTTOM_PX = 80; // "near the bottom": keep following new messages

function statusTextOf(p) {
  if (p.status === 'failed') return `Not sent: ${p.error || 'error'}`;
  if (p.status === 'sending') return 'Sending…';
  if (p.status === 'retrying') return p.error ? `${p.error} Retrying…` : 'Retrying…';
  return 'Waiting for connection…';
}

/**
 * The message text, its markdown subset (web/markdown.js) built as DOM nodes: the one place
 * message text becomes DOM. The stored text stays the raw text.
 */
function textNode(text) {
  const node = h('div', { class: 'msg-text', dir: 'auto', 'data-testid': 'message-text' });
  node.append(renderMarkdown(text));
  return node;
}

function timeNode(ts) {
  const d = new Date(validTime(ts));
  return h('time', { class: 'msg-time', datetime: d.toISOString(), title: fullTimeText(d), 'data-testid': 'message-time', text: timeText(d) });
}

function metaNode(name, own, createdAt, extras = []) {
  return h('div', { class: 'msg-meta' }, [
    h('span', { class: 'msg-author', dir: 'auto', 'data-testid': 'message-author', text: name }),
    own ? h('span', { class: 'visually-hidden', text: ' (you)' }) : null,
    timeNode(createdAt),
    ...extras,
  ]);
}

function messageClass(m, own, mentioned) {
  return ['msg', own && 'own', m.deleted && 'deleted', mentioned && 'mentioned'].filter(Boolean).join(' ');
}

function messageNode(m) {
  const key = `s:${m.seq}`;
  const editable = canEdit(m);
  const cached = state.nodeCache.get(key);
  if (cached && cached._msg === m && cached._editable === editable) return cached;
  const author = userById(m.author.id, m.author.name);
  const own = isMe(m.author.id);
  const mentioned = !own && mentionsMeNow(m);
  const node = h('div', {
    class: messageClass(m, own, mentioned),
    'data-testid': 'message',
    'data-seq': m.seq,
    'data-room-id': m.roomId,
    'data-author-id': m.author.id === null ? '' : m.author.id,
    'data-own': own ? 'true' : null,
    'data-deleted': m.deleted ? 'true' : null,
    'data-mentioned': mentioned ? 'true' : null,
  }, [
    avatarNode({ ...author, name: author.name || m.author.name }, 'avatar-md'),
    h('div', { class: 'msg-body' }, [
      metaNode(m.author.name, own, m.createdAt, [editedNode(m), mentioned ? mentionMarker(m) : null]),
      quoteNode(m),
      m.deleted ? tombstoneNode() : (m.text || !m.attachments.length ? textNode(m.text) : null),
      m.deleted ? null : attachmentsNode(m.attachments),
      reactionsNode(m),
    ]),
    toolsNode(m, editable),
  ]);
  node._msg = m;
  node._editable = editable;
  if (cached) {
    // Keep what the user was doing with the old element (a tap that showed the tools, a flash).
    for (const c of ['tools-open', 'flash']) if (cached.classList.contains(c)) node.classList.add(c);
  }
  state.nodeCache.set(key, node);
  return node;
}

/** "New messages": above the first message of others after the read position the room was opened with. */
function newDivider() {
  let node = state.nodeCache.get('new-divider');
  if (!node) {
    node = h('div', { class: 'new-divider', role: 'separator', 'aria-label': 'New messages', 'data-testid': 'new-messages-divider' }, [
      h('span', { class: 'new-divider-label', text: 'New messages' }),
    ]);
    state.nodeCache.set('new-divider', node);
  }
  return node;
}

/** A pending reply shows the quote of the message it answers, as the stored reply will. */
function pendingQuote(p) {
  if (!p.replyTo) return null;
  const room = state.rooms.get(p.roomId);
  const original = room && room.timeline.bySeq.get(p.replyTo);
  const quote = original
    ? { seq: original.seq, author: original.author, text: original.deleted ? '' : original.text.split('\n', 1)[0], deleted: original.deleted }
    : null;
  return quoteNode({ replyTo: p.replyTo, quote });
}

function newPendingNode(p) {
  const me = state.me || { id: null, name: '?' };
  const status = h('span', { class: 'msg-status', 'data-testid': 'message-status' });
  const actions = h('span', { class: 'msg-actions', hidden: true }, [
    h('button', { type: 'button', class: 'link-button', 'data-testid': 'message-retry', 'data-action': 'retry', text: 'Retry' }),
    h('button', { type: 'button', class: 'link-button', 'data-testid': 'message-discard', 'data-action': 'discard', text: 'Discard' }),
  ]);
  const node = h('div', {
    class: 'msg own pending',
    'data-testid': 'message',
    'data-pending': 'true',
    'data-client-id': p.clientId,
    'data-room-id': p.roomId,
    'data-own': 'true',
  }, [
    avatarNode(userById(me.id, me.name), 'avatar-md'),
    h('div', { class: 'msg-body' }, [
      metaNode(me.name, true, p.createdAt),
      pendingQuote(p),
      p.text || !(p.attachments && p.attachments.length) ? textNode(p.text) : null,
      attachmentsNode(normaliseAttachments(p.attachments), { pending: true }),
      h('div', { class: 'msg-foot' }, [status, actions]),
    ]),
  ]);
  node._status = status;
  node._actions = actions;
  return node;
}

function pendingNode(p) {
  const key = `p:${p.clientId}`;
  let node = state.nodeCache.get(key);
  if (!node) {
    node = newPendingNode(p);
    state.nodeCache.set(key, node);
  }
  node.classList.toggle('failed', p.status === 'failed');
  if (p.status === 'failed') node.dataset.failed = 'true'; else delete node.dataset.failed;
  node._status.textContent = statusTextOf(p);
  node._actions.hidden = p.status !== 'failed';
  return node;
}

/** `firstKey` names the message that opens the day, so a day can appear twice if clocks disagree. */
function daySeparator(ts, firstKey) {
  const key = `d:${dayKey(ts)}:${firstKey}`;
  let node = state.nodeCache.get(key);
  if (!node) {
    node = h('div', { class: 'day-separator', role: 'separator', 'data-testid': 'day-separator' }, [h('span', { class: 'day-label' })]);
    state.nodeCache.set(key, node);
  }
  const label = dayLabel(ts);
  node.firstElementChild.textContent = label;
  node.setAttribute('aria-label', label);
  return node;
}

/** While the list is refilled (room switch, first page, older page) the log stays quiet. */
export function setListBusy(busy) {
  if (busy) ui.messageList.setAttribute('aria-busy', 'true');
  else ui.messageList.removeAttribute('aria-busy');
}

function isNearBottom() {
  const s = ui.messagesScroll;
  return s.scrollHeight - s.scrollTop - s.clientHeight < AT_BOTTOM_PX;
}

function renderNoRoom() {
  reconcile(ui.messageList, []);
  state.nodeCache.clear();
  show(ui.loadOlderButton, false);
  ui.messagesEmpty.textContent = !state.everConnectedOnce
    ? 'Connecting…'
    : state.rooms.size
      ? 'Pick a room, or open a conversation.'
      : 'Create a room or message someone to start chatting.';
  show(ui.messagesEmpty, true);
}

/** The room's nodes in order: stored messages, then pending ones, each day opened by a separator. */
function messageNodes(room) {
  const nodes = [];
  let lastDay = null;
  let dividerAt = room.dividerAfter;
  for (const m of room.timeline.messages) {
    const d = dayKey(m.createdAt);
    if (d !== lastDay) { nodes.push(daySeparator(m.createdAt, `s${m.seq}`)); lastDay = d; }
    if (typeof dividerAt === "number" && m.seq > dividerAt && !isMe(m.author.id)) {
      nodes.push(newDivider());
      dividerAt = null;
    }
    nodes.push(messageNode(m));
  }
  for (const p of room.pending) {
    const d = dayKey(p.createdAt);
    if (d !== lastDay) { nodes.push(daySeparator(p.createdAt, `p${p.clientId}`)); lastDay = d; }
    nodes.push(pendingNode(p));
  }
  return nodes;
}

function renderListExtras(room, empty) {
  if (empty) {
    ui.messagesEmpty.textContent = room.loaded || !connected()
      ? (room.loaded ? 'No messages yet. Say hello!' : 'Messages will appear when the connection is back.')
      : 'Loading messages…';
  }
  show(ui.messagesEmpty, empty);
  const canLoadOlder = room.loaded && room.hasOlder && room.timeline.messages.length > 0;
  show(ui.loadOlderButton, canLoadOlder);
  ui.loadOlderButton.disabled = room.loadingOlder;
  ui.loadOlderButton.textContent = room.loadingOlder ? 'Loading…' : 'Load older messages';
}

/**
 * Renders the current room's messages. `mode`: 'follow' keeps following the bottom if the
 * user was there, 'bottom' forces it, 'keep' keeps the visible content still (load older).
 */
export function renderMessages(mode = 'follow') {
  const room = currentRoom();
  const s = ui.messagesScroll;
  const wasNearBottom = isNearBottom();
  const fromBottom = s.scrollHeight - s.scrollTop;
  if (!room) {
    renderNoRoom();
    return;
  }
  const nodes = messageNodes(room);
  reconcile(ui.messageList, nodes);
  // Drop cached nodes that are no longer shown (acknowledged pendings, stale separators).
  const shown = new Set(nodes);
  for (const [k, n] of state.nodeCache) if (!shown.has(n)) state.nodeCache.delete(k);
  renderListExtras(room, nodes.length === 0);
  observeMessages(nodes);

  if (mode === 'bottom' || (mode === 'follow' && wasNearBottom)) {
    s.scrollTop = s.scrollHeight;
  } else if (mode === 'keep') {
    s.scrollTop = s.scrollHeight - fromBottom;
  }
}
