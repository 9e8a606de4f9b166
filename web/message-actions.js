/*
 * What the user does with a stored message (issue #13): reply, react (a few emoji or any typed
 * one), edit (own, while the window lasts), delete (own, after a confirm step), toggle a
 * reaction chip, and jump from a reply's quote to its original (loading older history until
 * it is there; search results jump the same way). One delegated click listener on the message
 * list (main.js) calls onMessageListClick.
 */
import { openImage } from './attachment-view.js';
import { startEdit, startReply } from './composer-mode.js';
import { autosize } from './composer.js';
import { h } from './dom.js';
import { canEdit } from './message-parts.js';
import { flashNotice } from './notices.js';
import { request } from './request.js';
import { loadOlder, openRoom } from './room-actions.js';
import { currentRoom } from './rooms.js';
import { state } from './state.js';
import { applyChange } from './sync.js';
import { ui } from './ui.js';
import { isMe } from './users.js';

export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢'];
const MAX_JUMP_PAGES = 40; // 2000 messages back at most

function messageOf(node) {
  const room = state.rooms.get(Number(node.dataset.roomId));
  const seq = Number(node.dataset.seq);
  const m = room && room.timeline.bySeq.get(seq);
  return m ? { room, m } : null;
}

/** A change request (edit, delete, reaction); its ack is applied as the change it made. */
async function change(room, event, payload, what) {
  try {
    const res = await request(event, payload);
    if (res.message) applyChange(room, { roomId: room.id, change: res.message.change, message: res.message });
    return true;
  } catch (e) {
    flashNotice(`Could not ${what}: ${e.text}`);
    return false;
  }
}

export function setReaction(room, m, emoji, on) {
  return change(room, 'reaction:set', { roomId: room.id, seq: m.seq, emoji, on }, on ? 'add the reaction' : 'take the reaction back');
}

function closePopups(except) {
  for (const el of ui.messageList.querySelectorAll('.react-picker, .delete-confirm')) if (el !== except) el.remove();
}

function reactPicker(node) {
  const input = h('input', {
    type: 'text', class: 'react-input', maxlength: '32', placeholder: 'any emoji', 'aria-label': 'Any emoji',
    'data-testid': 'reaction-input', autocomplete: 'off',
  });
  const picker = h('div', { class: 'react-picker', role: 'group', 'aria-label': 'Add a reaction', 'data-testid': 'reaction-picker' }, [
    ...QUICK_EMOJI.map((e) => h('button', {
      type: 'button', class: 'react-choice', 'data-msg-action': 'pick', 'data-emoji': e, 'aria-label': `React with ${e}`, text: e,
    })),
    input,
    h('button', { type: 'button', class: 'btn btn-small btn-secondary', 'data-msg-action': 'pick-custom', 'data-testid': 'reaction-add', text: 'Add' }),
  ]);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); pickCustom(node, input); }
    if (e.key === 'Escape') { e.stopPropagation(); picker.remove(); node.querySelector('[data-msg-action="react"]')?.focus(); }
  });
  return picker;
}

function toggleReactPicker(node) {
  const open = node.querySelector('.react-picker');
  closePopups(open);
  if (open) { open.remove(); return; }
  const picker = reactPicker(node);
  node.querySelector('.msg-body').append(picker);
  picker.querySelector('button').focus();
}

function pickCustom(node, input) {
  const emoji = input.value.trim();
  if (!emoji || /\s/u.test(emoji)) { input.focus(); return; }
  const found = messageOf(node);
  if (!found) return;
  node.querySelector('.react-picker')?.remove();
  setReaction(found.room, found.m, emoji, true);
}

function confirmDelete(node) {
  if (node.querySelector('.delete-confirm')) return;
  closePopups();
  const box = h('div', { class: 'delete-confirm', role: 'alertdialog', 'aria-label': 'Delete this message?', 'data-testid': 'delete-confirm' }, [
    h('span', { text: 'Delete this message for everyone?' }),
    h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-msg-action': 'delete-confirm', 'data-testid': 'delete-confirm-button', text: 'Delete' }),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'data-msg-action': 'delete-cancel', text: 'Cancel' }),
  ]);
  box.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); box.remove(); } });
  node.querySelector('.msg-body').append(box);
  box.querySelector('button').focus();
}

function startEditing(m) {
  if (!canEdit(m)) {
    const minutes = Math.round((state.limits?.editWindowMs ?? 15 * 60 * 1000) / 60000);
    flashNotice(minutes > 0
      ? `This message can no longer be edited (messages can be changed for ${minutes} minute${minutes === 1 ? '' : 's'} after they are sent). You can still delete it.`
      : 'Messages cannot be edited on this server. You can still delete it.');
    return;
  }
  startEdit(m, { resize: autosize });
}

const ACTIONS = {
  reply: (node, { m }) => startReply(m),
  react: (node) => toggleReactPicker(node),
  pick: (node, { room, m }, btn) => { node.querySelector('.react-picker')?.remove(); setReaction(room, m, btn.dataset.emoji, true); },
  'pick-custom': (node) => pickCustom(node, node.querySelector('.react-input')),
  'toggle-reaction': (node, { room, m }, btn) => {
    const r = m.reactions.find((x) => x.emoji === btn.dataset.emoji);
    const mine = !!r && r.users.some((u) => isMe(u.id));
    setReaction(room, m, btn.dataset.emoji, !mine);
  },
  edit: (node, { m }) => startEditing(m),
  delete: (node) => confirmDelete(node),
  'delete-cancel': (node) => { node.querySelector('.delete-confirm')?.remove(); node.querySelector('[data-msg-action="delete"]')?.focus(); },
  'delete-confirm': (node, { room, m }) => {
    node.querySelector('.delete-confirm')?.remove();
    change(room, 'message:delete', { roomId: room.id, seq: m.seq }, 'delete the message');
  },
  jump: (node, { room }, btn) => jumpToMessage(room.id, Number(btn.dataset.replyTo)),
  'view-image': (node, found, btn) => openImage(btn),
};

/** The message list's clicks on stored messages; a tap elsewhere on a message shows its tools (phones). */
export function onMessageListClick(e) {
  const node = e.target.closest('[data-testid="message"][data-seq]');
  if (!node) return;
  const btn = e.target.closest('button[data-msg-action]');
  if (!btn) {
    if (e.target.closest('a, input, .react-picker, .delete-confirm')) return;
    const open = node.classList.contains('tools-open');
    for (const n of ui.messageList.querySelectorAll('.msg.tools-open')) n.classList.remove('tools-open');
    node.classList.toggle('tools-open', !open);
    return;
  }
  const found = messageOf(node);
  const action = ACTIONS[btn.dataset.msgAction];
  if (found && action) action(node, found, btn);
}

/** Up arrow in an empty composer: edit the newest own message of the open room that still can be. */
export function editLastOwn() {
  const room = currentRoom();
  if (!room) return false;
  const list = room.timeline.messages;
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i];
    if (isMe(m.author.id) && !m.deleted) {
      if (!canEdit(m)) return false;
      startEdit(m, { resize: autosize });
      return true;
    }
  }
  return false;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function flash(node) {
  node.scrollIntoView({ block: 'center' });
  node.classList.add('flash');
  setTimeout(() => { if (node.isConnected) node.classList.remove('flash'); }, 2500);
}

/**
 * Opens room `roomId` and shows message `seq` there, highlighted for a moment; older pages are
 * loaded (`history`) until it is held. False when it cannot be found (deleted before the first
 * page, or too far back).
 */
export async function jumpToMessage(roomId, seq) {
  if (state.currentRoomId !== roomId) await openRoom(roomId, { fromUser: true });
  const room = state.rooms.get(roomId);
  if (!room) return false;
  for (let i = 0; i < 100 && (!room.loaded || room.loading) && state.currentRoomId === roomId; i++) await sleep(50);
  let pages = 0;
  while (!room.timeline.bySeq.has(seq) && room.hasOlder && pages < MAX_JUMP_PAGES && state.currentRoomId === roomId) {
    if (room.loadingOlder) { await sleep(50); continue; }
    await loadOlder();
    pages++;
  }
  const node = state.currentRoomId === roomId && ui.messageList.querySelector(`[data-testid="message"][data-seq="${seq}"]`);
  if (!node) {
    flashNotice('That message could not be found.');
    return false;
  }
  flash(node);
  return true;
}
