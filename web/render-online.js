/*
 * The open room's online list. Other users' entries are buttons (data-user-name on the <li>)
 * that open a direct conversation; main.js handles their clicks.
 */
import { avatarNode } from './avatars.js';
import { bdi, h, reconcile, show } from './dom.js';
import { isolated } from './format.js';
import { currentRoom } from './rooms.js';
import { state } from './state.js';
import { ui } from './ui.js';
import { isMe } from './users.js';

function onlineItem(user) {
  let li = state.onlineNodes.get(user.id);
  if (!li) {
    li = h('li', { class: 'online-item', 'data-testid': 'online-user' });
    state.onlineNodes.set(user.id, li);
  }
  li.dataset.userId = String(user.id);
  li.dataset.userName = user.name;
  const me = isMe(user.id);
  const content = [avatarNode(user, 'avatar-sm'), h('span', { class: 'online-name' }, [bdi(user.name), me ? ' (you)' : null])];
  if (me) {
    li.replaceChildren(h('span', { class: 'online-self' }, content));
  } else {
    li.replaceChildren(h('button', {
      type: 'button',
      class: 'online-button',
      'aria-label': `Message ${user.name}`,
      title: `Message ${isolated(user.name)}`,
    }, content));
  }
  return li;
}

/** The user id of the online entry that has the focus, to give it back after re-rendering. */
function focusedUserId() {
  const active = document.activeElement;
  if (!active || !ui.onlineList.contains(active)) return null;
  return active.closest('li') && active.closest('li').dataset.userId;
}

export function renderOnline() {
  const room = currentRoom();
  const users = room ? room.online.slice() : [];
  users.sort((a, b) => (isMe(b.id) - isMe(a.id)) || a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
  const focused = focusedUserId();
  const nodes = users.map(onlineItem);
  const alive = new Set(users.map((u) => u.id));
  for (const id of Array.from(state.onlineNodes.keys())) if (!alive.has(id)) state.onlineNodes.delete(id);
  reconcile(ui.onlineList, nodes);
  if (focused) {
    const again = ui.onlineList.querySelector(`li[data-user-id="${CSS.escape(focused)}"] button`);
    if (again) again.focus();
  }
  ui.onlineCount.textContent = room ? String(users.length) : '';
  ui.onlineToggleText.textContent = room ? `Online ${users.length}` : 'Online';
  ui.onlineEmpty.textContent = room ? 'Nobody is online here.' : 'Open a room to see who is here.';
  show(ui.onlineEmpty, users.length === 0);
}
