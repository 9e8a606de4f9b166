/*
 * Searching messages (issue #13, `search {query, beforeId?, limit?}`): a form in the room
 * header, a panel of results (room, author, time, the text with the searched words in <mark>,
 * built from Text nodes), "More results" paging with the answer's `next` as `beforeId`, and a
 * click that opens the result's room and jumps to the message (older history loaded as for a
 * reply's quote). Errors say what to do: a query without words, too many searches (with the
 * wait the server asks).
 */
import { bdi, h, show } from './dom.js';
import { fullTimeText, isolated, timeText } from './format.js';
import { jumpToMessage } from './message-actions.js';
import { request } from './request.js';
import { roomDisplayName, upsertRoom } from './rooms.js';
import { highlightSegments, searchWords } from './search-highlight.js';
import { normaliseMessage } from './timeline.js';
import { ui } from './ui.js';
import { isObj } from './values.js';

const PAGE = 20;
const search = { query: '', words: [], results: [], next: null, loading: false, gen: 0 };

function errorText(e) {
  if (e.code === 'rate_limited') {
    const s = Math.max(1, Math.ceil((e.retryAfterMs || 1000) / 1000));
    return `Too many searches at once. Try again in ${s} second${s === 1 ? '' : 's'}.`;
  }
  if (e.code === 'bad_request') {
    return `Nothing to search for: type at least one word of letters or digits (at most 10 words).${e.serverMessage ? ` (${e.serverMessage})` : ''}`;
  }
  return `The search failed: ${e.text}`;
}

function textWithMarks(text) {
  const line = h('div', { class: 'search-text', dir: 'auto', 'data-testid': 'search-result-text' });
  for (const seg of highlightSegments(text, search.words)) {
    line.append(seg.match ? h('mark', { text: seg.text }) : document.createTextNode(seg.text));
  }
  return line;
}

function resultNode({ message: m, room }) {
  const roomName = room.kind === 'direct' ? roomDisplayName(room) : `#${roomDisplayName(room)}`;
  const d = new Date(m.createdAt);
  return h('li', null, [h('button', {
    type: 'button', class: 'search-result', 'data-testid': 'search-result', 'data-room-id': room.id, 'data-seq': m.seq,
    'aria-label': `${isolated(m.author.name)} in ${isolated(roomName)}, ${fullTimeText(d)}: open the message`,
  }, [
    h('div', { class: 'search-meta' }, [
      h('span', { class: 'search-room', 'data-testid': 'search-result-room' }, [bdi(roomName)]),
      h('span', { class: 'search-author', 'data-testid': 'search-result-author' }, [bdi(m.author.name)]),
      h('time', { class: 'msg-time', datetime: d.toISOString(), title: fullTimeText(d), text: timeText(d) }),
    ]),
    textWithMarks(m.text),
  ])]);
}

function render(status) {
  show(ui.searchPanel, true);
  ui.searchHeading.textContent = search.query ? `Search: ${search.query}` : 'Search';
  ui.searchStatus.textContent = status;
  ui.searchStatus.classList.toggle('error', status.startsWith('Too many') || status.startsWith('Nothing') || status.startsWith('The search'));
  show(ui.searchMore, !!search.next && !search.loading);
}

async function fetchPage(beforeId) {
  const gen = ++search.gen;
  search.loading = true;
  render(beforeId ? 'Loading more…' : 'Searching…');
  try {
    const payload = { query: search.query, limit: PAGE };
    if (beforeId) payload.beforeId = beforeId;
    const res = await request('search', payload);
    if (gen !== search.gen) return;
    const found = (Array.isArray(res.results) ? res.results : []).map((r) => {
      if (!isObj(r)) return null;
      const message = normaliseMessage(r.message);
      const room = upsertRoom(r.room); // a public room not joined becomes known (joined on open)
      return message && room ? { message, room } : null;
    }).filter(Boolean);
    if (!beforeId) ui.searchResults.replaceChildren();
    for (const r of found) ui.searchResults.append(resultNode(r));
    search.results.push(...found);
    search.next = res.next ?? null;
    search.loading = false;
    const n = search.results.length;
    render(n ? `${n}${search.next ? '+' : ''} message${n === 1 ? '' : 's'} found` : 'No messages found.');
  } catch (e) {
    if (gen !== search.gen) return;
    search.loading = false;
    render(errorText(e));
  }
}

export function onSearchSubmit(e) {
  e.preventDefault();
  const query = ui.searchInput.value.trim();
  search.query = query;
  search.words = searchWords(query);
  search.results = [];
  search.next = null;
  ui.searchResults.replaceChildren();
  fetchPage(null);
}

export function searchMore() {
  if (search.next && !search.loading) fetchPage(search.next);
}

/** Hides the panel (its results stay for the next search); `clear` forgets them (sign-out). */
export function closeSearch({ clear = false } = {}) {
  search.gen++;
  search.loading = false;
  show(ui.searchPanel, false);
  if (clear) {
    Object.assign(search, { query: '', words: [], results: [], next: null });
    ui.searchResults.replaceChildren();
    ui.searchInput.value = '';
  }
}

/** A click on a result: its room opened at the message. */
export function onSearchResultClick(e) {
  const btn = e.target.closest('.search-result');
  if (!btn) return;
  closeSearch();
  jumpToMessage(Number(btn.dataset.roomId), Number(btn.dataset.seq));
}
