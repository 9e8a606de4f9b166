/*
 * The parts issue #13 added to a stored message on screen: the "(edited)" mark, the tombstone of
 * a deleted message, the quote of a reply, reaction chips, the mention marker and the action
 * buttons (Reply, React, Edit, Delete). Built from a normalised Message (timeline.js) only; the
 * message list (render-messages.js) assembles them. Clicks are handled by message-actions.js
 * through the list's one delegated listener (data-msg-action on every button).
 */
import { bdi, h } from './dom.js';
import { fullTimeText, isolated } from './format.js';
import { state } from './state.js';
import { mentionsMe } from './unread.js';
import { isMe } from './users.js';

/** The edit window until `ready` says the server's (CHAT_EDIT_WINDOW_S; its default). */
export const EDIT_WINDOW_MS = 15 * 60 * 1000;

/** Edit is offered for own, undeleted messages while the server's window lasts. */
export function canEdit(m, now = Date.now()) {
  const windowMs = state.limits?.editWindowMs ?? EDIT_WINDOW_MS;
  return isMe(m.author.id) && !m.deleted && now - m.createdAt < windowMs;
}

export function mentionsMeNow(m) { return mentionsMe(m, state.me ? state.me.id : null); }

export function editedNode(m) {
  if (m.editedAt === null || m.deleted) return null;
  const when = fullTimeText(new Date(m.editedAt));
  return h('span', { class: 'msg-edited', 'data-testid': 'message-edited', title: `Edited ${when}`, text: '(edited)' });
}

/** A deleted message keeps its place in the conversation, without its words. */
export function tombstoneNode() {
  return h('div', { class: 'msg-text msg-deleted', 'data-testid': 'message-deleted', text: 'message deleted' });
}

/** The quote of a reply: a button that jumps to the original (message-actions.js). */
export function quoteNode(m) {
  if (m.replyTo === null) return null;
  const q = m.quote;
  const label = q ? `Reply to ${isolated(q.author.name)}: jump to the original message` : 'Reply: jump to the original message';
  return h('button', {
    type: 'button', class: 'msg-quote', 'data-testid': 'message-quote', 'data-msg-action': 'jump',
    'data-reply-to': m.replyTo, 'aria-label': label,
  }, [
    h('span', { class: 'msg-quote-author', 'data-testid': 'quote-author' }, [q ? bdi(q.author.name) : '…']),
    q && q.deleted
      ? h('span', { class: 'msg-quote-text msg-deleted', 'data-testid': 'quote-text', text: 'message deleted' })
      : h('span', { class: 'msg-quote-text', dir: 'auto', 'data-testid': 'quote-text', text: q ? q.text : 'an earlier message' }),
  ]);
}

function reactorsText(r) {
  const names = r.users.map((u) => (isMe(u.id) ? 'you' : u.name));
  const more = r.count - names.length;
  return `${names.join(', ')}${more > 0 ? ` and ${more} more` : ''} reacted with ${r.emoji}`;
}

/** Reaction chips: emoji + count; pressed when one of them is ours; a click toggles ours. */
export function reactionsNode(m) {
  if (m.deleted || !m.reactions.length) return null;
  return h('div', { class: 'msg-reactions', 'data-testid': 'message-reactions' }, m.reactions.map((r) => {
    const mine = r.users.some((u) => isMe(u.id));
    const tip = reactorsText(r);
    return h('button', {
      type: 'button', class: mine ? 'reaction mine' : 'reaction', 'data-testid': 'reaction-chip',
      'data-msg-action': 'toggle-reaction', 'data-emoji': r.emoji, 'aria-pressed': mine ? 'true' : 'false',
      title: tip, 'aria-label': `${tip}${mine ? ' (click to take yours back)' : ''}`,
    }, [h('span', { class: 'reaction-emoji', text: r.emoji }), h('span', { class: 'reaction-count', 'data-testid': 'reaction-count', text: String(r.count) })]);
  }));
}

export function mentionMarker(m) {
  return mentionsMeNow(m) ? h('span', { class: 'msg-mention-mark', 'data-testid': 'mention-marker', text: '@ you' }) : null;
}

function tool(action, label, text) {
  return h('button', { type: 'button', class: 'msg-tool', 'data-msg-action': action, 'data-testid': `action-${action}`, 'aria-label': label, title: label, text });
}

/** Action buttons: shown on hover/focus (desktop) or after a tap on the message (phones). */
export function toolsNode(m, editable) {
  if (m.deleted) return null;
  const own = isMe(m.author.id);
  return h('div', { class: 'msg-tools', role: 'toolbar', 'aria-label': 'Message actions', 'data-testid': 'message-actions' }, [
    tool('reply', 'Reply', '↩'),
    tool('react', 'Add a reaction', '☺'),
    editable ? tool('edit', 'Edit message', '✎') : null,
    own ? tool('delete', 'Delete message', '🗑') : null,
  ]);
}
