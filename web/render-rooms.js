/*
 * The sidebar's room lists (joined public rooms, direct conversations, other public rooms),
 * unread and mention badges, the online dot of a conversation whose other person is online,
 * and the unread total in the title and on the phone's rooms button.
 * A room button carries data-room-id; main.js handles clicks on the lists.
 */
import { avatarNode } from './avatars.js';
import { h, reconcile, show } from './dom.js';
import { isMember, mentionsOf, roomDisplayName, unreadOf } from './rooms.js';
import { state } from './state.js';
import { ui } from './ui.js';

function roomLabel(room, name, unread, mentions, peerOnline) {
  let label = room.kind === 'direct' ? `Direct message with ${name}` : `Room ${name}`;
  if (peerOnline) label += ' (online)';
  if (!isMember(room)) label += ', not joined';
  if (unread > 0) label += `, ${unread} unread`;
  if (mentions > 0) label += `, ${mentions} mentioning you`;
  return label;
}

/** A direct conversation whose other person is online (the room's presence lists them). */
function peerOnline(room) {
  return room.kind === 'direct' && !!room.peer && room.online.some((u) => u.id === room.peer.id);
}

function roomButton(room) {
  let btn = state.roomButtons.get(room.id);
  if (!btn) {
    btn = h('button', { type: 'button', class: 'room-item', 'data-testid': 'room-item', 'data-room-id': room.id });
    state.roomButtons.set(room.id, btn);
  }
  const unread = unreadOf(room);
  const mentions = mentionsOf(room);
  const online = peerOnline(room);
  const name = roomDisplayName(room);
  const open = room.id === state.currentRoomId;
  btn.dataset.roomKind = room.kind;
  btn.dataset.joined = String(isMember(room));
  btn.classList.toggle('active', open);
  btn.classList.toggle('has-unread', unread > 0);
  if (open) btn.setAttribute('aria-current', 'page');
  else btn.removeAttribute('aria-current');
  btn.dataset.peerOnline = String(online);
  btn.setAttribute('aria-label', roomLabel(room, name, unread, mentions, online));

  const icon = room.kind === 'direct' && room.peer
    ? avatarNode(room.peer, 'avatar-sm')
    : h('span', { class: 'room-hash', 'aria-hidden': 'true', text: room.kind === 'direct' ? '@' : '#' });
  const children = [icon];
  if (online) children.push(h('span', { class: 'dot-online room-online', 'data-testid': 'room-online', 'aria-hidden': 'true' }));
  children.push(h('span', { class: 'room-name', dir: 'auto', text: name }));
  if (mentions > 0) {
    children.push(h('span', { class: 'badge badge-mention', 'data-testid': 'room-mentions', 'aria-hidden': 'true', text: `@${mentions > 99 ? '99+' : mentions}` }));
  }
  if (unread > 0) {
    children.push(h('span', { class: 'badge', 'data-testid': 'room-unread', 'aria-hidden': 'true', text: unread > 99 ? '99+' : String(unread) }));
  }
  btn.replaceChildren(...children);
  return btn;
}

function listItem(btn) {
  let li = btn.parentElement;
  if (!li || li.tagName !== 'LI') li = h('li', null, [btn]);
  return li;
}

function renderUnreadTotal(rooms) {
  const totalUnread = rooms.reduce((n, r) => n + unreadOf(r), 0);
  document.title = totalUnread > 0 ? `(${totalUnread}) docker-chat` : 'docker-chat';
  show(ui.roomsToggleBadge, totalUnread > 0);
  ui.roomsToggle.setAttribute('aria-label', totalUnread > 0 ? `Show rooms (${totalUnread} unread)` : 'Show rooms');
}

export function renderRooms() {
  const rooms = Array.from(state.rooms.values());
  const byName = (a, b) => roomDisplayName(a).localeCompare(roomDisplayName(b), undefined, { sensitivity: 'base' }) || a.id - b.id;
  const pub = rooms.filter((r) => r.kind === 'public' && r.joined).sort(byName);
  const dms = rooms.filter((r) => r.kind === 'direct').sort(byName);
  const other = rooms.filter((r) => r.kind === 'public' && !r.joined).sort(byName);

  // Forget buttons of rooms that no longer exist.
  for (const id of Array.from(state.roomButtons.keys())) {
    if (!state.rooms.has(id)) state.roomButtons.delete(id);
  }
  reconcile(ui.publicRoomList, pub.map((r) => listItem(roomButton(r))));
  reconcile(ui.directRoomList, dms.map((r) => listItem(roomButton(r))));
  reconcile(ui.otherRoomList, other.map((r) => listItem(roomButton(r))));
  show(ui.publicRoomsEmpty, pub.length === 0);
  show(ui.directRoomsEmpty, dms.length === 0);
  show(ui.otherRoomsSection, other.length > 0);
  renderUnreadTotal(rooms);
}
