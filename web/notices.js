/* Transient messages: the notice above the composer, the connection banner, the status under the own name. */
import { show } from './dom.js';
import { ui } from './ui.js';

let noticeTimer = null;

/** Shows an error notice (history, join, leave failures) for 8 s. */
export function flashNotice(text) {
  ui.notice.textContent = text;
  show(ui.notice, true);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { show(ui.notice, false); }, 8000);
}

/** The connection banner ("Reconnecting…"); null hides it. */
export function setBanner(text) {
  if (text) {
    ui.banner.textContent = text;
    ui.banner.hidden = false;
  } else {
    ui.banner.hidden = true;
  }
}

/** A status line under the own name that clears itself unless something replaced it. */
export function flashStatus(text, ms) {
  ui.avatarStatus.textContent = text;
  setTimeout(() => { if (ui.avatarStatus.textContent === text) ui.avatarStatus.textContent = ''; }, ms);
}
