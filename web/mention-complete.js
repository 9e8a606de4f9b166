/*
 * @-completion in the composer (issue #13): "@" and letters ask the server for the room's
 * members whose name starts with them (`room:members {roomId, prefix, limit}` → `{members}`),
 * shown as a list above the box with "@room" (everyone here); arrow keys, Enter, Tab or a click
 * choose, Esc closes. The text operations are mention-query.js's.
 */
import { h } from './dom.js';
import { ROOM_MENTION, insertMention, mentionQueryAt } from './mention-query.js';
import { request } from './request.js';
import { currentRoom } from './rooms.js';
import { ui } from './ui.js';
import { isMe } from './users.js';
import { validUser } from './values.js';

const LIMIT = 20;
const ASK_AFTER_MS = 120;   // typing on waits for the last letter
const ANSWER_MS = 4000;     // a server without room:members does not answer: give up quietly
const list = { query: null, options: [], active: 0, timer: null, gen: 0 };
let onChosen = () => {};

/** `chosen()`: the composer's text changed (height, counter). */
export function initMentionComplete(chosen) {
  onChosen = chosen;
  ui.mentionList.addEventListener('mousedown', (e) => e.preventDefault()); // keep the focus in the box
  ui.mentionList.addEventListener('click', (e) => {
    const li = e.target.closest('[role="option"]');
    if (li) choose(Number(li.dataset.index));
  });
  ui.composerInput.addEventListener('blur', () => close());
}

function close() {
  list.gen++;
  clearTimeout(list.timer);
  list.query = null;
  list.options = [];
  ui.mentionList.hidden = true;
  ui.mentionList.replaceChildren();
  ui.composerInput.removeAttribute('aria-activedescendant');
  ui.composerInput.setAttribute('aria-expanded', 'false');
}

function render() {
  if (!list.options.length) { ui.mentionList.hidden = true; ui.mentionList.replaceChildren(); return; }
  ui.mentionList.replaceChildren(...list.options.map((o, i) => h('li', {
    id: `mention-option-${i}`, role: 'option', class: i === list.active ? 'mention-option active' : 'mention-option',
    'aria-selected': i === list.active ? 'true' : 'false', 'data-index': i, 'data-name': o.name, 'data-testid': 'mention-option',
  }, [
    h('span', { class: 'mention-name', dir: 'auto', text: o.room ? '@room' : o.name }),
    o.room ? h('span', { class: 'mention-hint', text: ' everyone in this room' }) : null,
  ])));
  ui.mentionList.hidden = false;
  ui.composerInput.setAttribute('aria-expanded', 'true');
  ui.composerInput.setAttribute('aria-activedescendant', `mention-option-${list.active}`);
}

async function ask(room, query, gen) {
  let members = [];
  try {
    const res = await request('room:members', { roomId: room.id, prefix: query.prefix, limit: LIMIT }, ANSWER_MS);
    members = Array.isArray(res.members) ? res.members.filter(validUser) : [];
  } catch (_) {
    members = []; // "@room" still works
  }
  if (gen !== list.gen) return;
  const options = members.filter((u) => !isMe(u.id)).map((u) => ({ name: u.name }));
  if (ROOM_MENTION.startsWith(query.prefix.toLowerCase())) options.push({ name: ROOM_MENTION, room: true });
  list.options = options;
  list.active = 0;
  render();
}

/** After every input or caret move in the composer. */
export function updateMentionQuery() {
  const room = currentRoom();
  const ta = ui.composerInput;
  const query = room && ta.selectionStart === ta.selectionEnd ? mentionQueryAt(ta.value, ta.selectionStart) : null;
  if (!query) { if (list.query) close(); return; }
  if (list.query && list.query.start === query.start && list.query.prefix === query.prefix) return;
  list.query = query;
  const gen = ++list.gen;
  clearTimeout(list.timer);
  list.timer = setTimeout(() => ask(room, query, gen), ASK_AFTER_MS);
}

function choose(i) {
  const o = list.options[i];
  const query = list.query;
  if (!o || !query) return;
  const ta = ui.composerInput;
  const { text, caret } = insertMention(ta.value, query, o.name, ta.selectionStart);
  ta.value = text;
  ta.setSelectionRange(caret, caret);
  close();
  onChosen();
  ta.focus();
}

/** The composer's keydown while the list is open; true when the key was the list's. */
export function mentionKeydown(e) {
  if (ui.mentionList.hidden || !list.options.length) return false;
  const n = list.options.length;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    list.active = (list.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    render();
  } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.isComposing) {
    choose(list.active);
  } else if (e.key === 'Escape') {
    close();
  } else {
    return false;
  }
  e.preventDefault();
  e.stopPropagation();
  return true;
}
