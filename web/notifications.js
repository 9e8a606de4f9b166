/*
 * Desktop notifications (issue #13): the permission is asked only when the user clicks
 * "Enable notifications" (browsers ignore or penalise asking without a gesture); once granted, a
 * new message shows a notification while the page is hidden, when it is in a direct
 * conversation or mentions the user, and is not the user's own. Clicking it brings the window
 * forward and opens the room.
 */
import { isolated } from './format.js';
import { openRoom } from './room-actions.js';
import { roomDisplayName } from './rooms.js';
import { state } from './state.js';
import { onNewMessage } from './sync.js';
import { ui } from './ui.js';
import { mentionsMe } from './unread.js';
import { isMe } from './users.js';

const supported = () => typeof window.Notification === 'function';

function renderButton() {
  const b = ui.notifyButton;
  b.hidden = !supported();
  if (b.hidden) return;
  const p = window.Notification.permission;
  b.disabled = p !== 'default';
  b.textContent = p === 'granted' ? 'Notifications on' : p === 'denied' ? 'Notifications blocked' : 'Enable notifications';
  b.title = p === 'denied'
    ? 'The browser blocks notifications for this site: allow them in its site settings.'
    : p === 'granted' ? 'Direct messages and mentions show a notification while this page is hidden.' : '';
}

async function askPermission() {
  if (!supported() || window.Notification.permission !== 'default') return;
  try {
    // Older browsers take a callback instead of returning a promise.
    await new Promise((resolve) => {
      const r = window.Notification.requestPermission(resolve);
      if (r && typeof r.then === 'function') r.then(resolve, resolve);
    });
  } finally {
    renderButton();
  }
}

function firstLine(text) {
  const line = text.split('\n', 1)[0];
  return line.length > 140 ? `${line.slice(0, 140)}…` : line;
}

function notify(room, m) {
  if (!supported() || window.Notification.permission !== 'granted' || !document.hidden) return;
  if (isMe(m.author.id) || m.deleted) return;
  if (room.kind !== 'direct' && !mentionsMe(m, state.me ? state.me.id : null)) return;
  const where = room.kind === 'direct' ? 'direct message' : `#${roomDisplayName(room)}`;
  let n;
  try {
    n = new window.Notification(`${isolated(m.author.name)} · ${isolated(where)}`, { body: firstLine(m.text), tag: `room-${room.id}` });
  } catch (_) {
    return; // some browsers only allow notifications from a service worker
  }
  n.onclick = () => {
    window.focus();
    openRoom(room.id, { fromUser: true });
    n.close();
  };
}

export function initNotifications() {
  renderButton();
  ui.notifyButton.addEventListener('click', askPermission);
  onNewMessage(notify);
}
