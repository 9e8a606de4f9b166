/* The narrow layouts: the room list and the online list as drawers over the chat, with a scrim. */
import { show } from './dom.js';
import { ui } from './ui.js';

/** The phone layout (same breakpoint as app.css). */
export function isNarrow() { return window.matchMedia('(max-width: 720px)').matches; }

function updateScrim() {
  const any = ui.sidebar.classList.contains('open') || ui.onlinePanel.classList.contains('open');
  show(ui.scrim, any);
}

export function setDrawer(open) {
  ui.sidebar.classList.toggle('open', open);
  ui.roomsToggle.setAttribute('aria-expanded', String(open));
  updateScrim();
  if (open) {
    const target = ui.sidebar.querySelector('.room-item.active') || ui.sidebar.querySelector('.room-item') || ui.createRoomInput;
    setTimeout(() => target.focus(), 0);
  }
}

export function setOnlinePanel(open) {
  ui.onlinePanel.classList.toggle('open', open);
  ui.onlineToggle.setAttribute('aria-expanded', String(open));
  updateScrim();
  if (open) setTimeout(() => (ui.onlineList.querySelector('button') || ui.onlineClose).focus(), 0);
}

/** Closes both drawers; says which were open (to give the focus back to their button). */
export function closeDrawers() {
  const wasSidebar = ui.sidebar.classList.contains('open');
  const wasOnline = ui.onlinePanel.classList.contains('open');
  ui.sidebar.classList.remove('open');
  ui.onlinePanel.classList.remove('open');
  ui.roomsToggle.setAttribute('aria-expanded', 'false');
  ui.onlineToggle.setAttribute('aria-expanded', 'false');
  updateScrim();
  return { wasSidebar, wasOnline };
}
