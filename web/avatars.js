/*
 * Avatars: a user's 64 px image (same-origin paths only), or initials on a colour derived from
 * the name (CSS classes .av-c0 … .av-c9). Boxes carry data-user-id so changes can repaint them.
 */
import { h } from './dom.js';
import { AVATAR_COLOURS, colourIndex, initialsOf } from './format.js';
import { state } from './state.js';
import { ui } from './ui.js';

/** A same-origin path is the only kind of avatar URL we load. */
function safeImageUrl(u) {
  if (typeof u !== 'string' || u === '') return null;
  try {
    const url = new URL(u, window.location.href);
    if (url.origin !== window.location.origin) return null;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.pathname + url.search;
  } catch (_) {
    return null;
  }
}

function smallAvatarUrl(u) {
  return safeImageUrl(u && (u.avatarSmall || u.avatar));
}

function removeColours(box) {
  for (let i = 0; i < AVATAR_COLOURS; i++) box.classList.remove(`av-c${i}`);
}

/** Paints an avatar box: the user's 64 px image, or initials on a colour derived from the name. */
function paintAvatar(box, user) {
  const url = smallAvatarUrl(user);
  const colourClass = `av-c${colourIndex(user && user.name)}`;
  removeColours(box);
  const current = box.firstElementChild;
  if (url) {
    box.classList.remove('avatar-placeholder');
    if (current && current.tagName === 'IMG' && current.getAttribute('src') === url) return;
    const img = h('img', { src: url, alt: '', loading: 'lazy', decoding: 'async', draggable: 'false' });
    img.addEventListener('error', () => {
      // Broken image: fall back to the placeholder.
      if (img.parentNode === box) {
        box.replaceChildren(h('span', { class: 'avatar-initials', text: initialsOf(user.name) }));
        box.classList.add('avatar-placeholder', colourClass);
      }
    }, { once: true });
    box.replaceChildren(img);
  } else {
    box.classList.add('avatar-placeholder', colourClass);
    box.replaceChildren(h('span', { class: 'avatar-initials', text: initialsOf(user && user.name) }));
  }
}

export function avatarNode(user, sizeClass) {
  const box = h('span', { class: `avatar ${sizeClass || ''}`.trim(), 'aria-hidden': 'true', 'data-user-id': user.id });
  paintAvatar(box, user);
  return box;
}

/** Every avatar of this user on screen follows what we now know of the user. */
export function repaintAvatarsOf(userId) {
  const user = state.users.get(userId);
  if (!user) return;
  for (const box of document.querySelectorAll(`.avatar[data-user-id="${CSS.escape(String(userId))}"]`)) {
    paintAvatar(box, user);
  }
}

/** The own avatar in the sidebar (a fixed <img> + initials pair in index.html). */
export function paintOwnAvatar() {
  const me = state.me;
  if (!me) return;
  const url = smallAvatarUrl(me);
  removeColours(ui.ownAvatarBox);
  if (url) {
    ui.ownAvatar.src = url;
    ui.ownAvatar.hidden = false;
    ui.ownAvatarInitials.hidden = true;
    ui.ownAvatarBox.classList.remove('avatar-placeholder');
  } else {
    ui.ownAvatar.removeAttribute('src');
    showOwnInitials();
  }
}

export function showOwnInitials() {
  const me = state.me;
  ui.ownAvatar.hidden = true;
  ui.ownAvatarInitials.hidden = false;
  ui.ownAvatarInitials.textContent = initialsOf(me ? me.name : '');
  ui.ownAvatarBox.classList.add('avatar-placeholder', `av-c${colourIndex(me ? me.name : '')}`);
}
