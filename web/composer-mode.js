/*
 * The composer's modes (issue #13): replying to a message (a bar names it; the next message is
 * sent with `replyTo`) and editing one of the user's own messages (its text in the box; Enter
 * saves with `message:edit`, Esc gives the box its draft back). One mode at a time, for the open
 * room only: opening another room ends it.
 */
import { show } from './dom.js';
import { isolated } from './format.js';
import { flashNotice } from './notices.js';
import { request } from './request.js';
import { applyChange } from './sync.js';
import { state } from './state.js';
import { ui } from './ui.js';

function firstLine(text) {
  const line = text.split('\n', 1)[0];
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

function renderBar() {
  const mode = state.composerMode;
  show(ui.composerBar, !!mode);
  ui.composerBar.dataset.mode = mode ? mode.kind : '';
  if (!mode) { ui.composerBarText.textContent = ''; return; }
  ui.composerBarText.textContent = mode.kind === 'reply'
    ? `Replying to ${isolated(mode.authorName)}: ${firstLine(mode.text)}`
    : 'Editing your message · Enter to save, Esc to cancel';
  ui.composerBarCancel.setAttribute('aria-label', mode.kind === 'reply' ? 'Cancel the reply' : 'Cancel editing');
}

/** The bar shows above the box; the caller focuses. */
export function startReply(m) {
  if (state.composerMode && state.composerMode.kind === 'edit') cancelMode();
  state.composerMode = { kind: 'reply', roomId: m.roomId, seq: m.seq, authorName: m.author.name, text: m.deleted ? 'message deleted' : m.text };
  renderBar();
  ui.composerInput.focus();
}

export function startEdit(m, { resize } = {}) {
  const draft = state.composerMode && state.composerMode.kind === 'edit' ? state.composerMode.draft : ui.composerInput.value;
  state.composerMode = { kind: 'edit', roomId: m.roomId, seq: m.seq, draft };
  ui.composerInput.value = m.text;
  renderBar();
  if (resize) resize();
  ui.composerInput.focus();
  ui.composerInput.setSelectionRange(m.text.length, m.text.length);
}

/** Ends the mode; an edit gives the box back the draft it had. Returns whether a mode ended. */
export function cancelMode({ resize } = {}) {
  const mode = state.composerMode;
  if (!mode) return false;
  state.composerMode = null;
  if (mode.kind === 'edit') {
    ui.composerInput.value = mode.draft;
    if (resize) resize();
  }
  renderBar();
  return true;
}

/** The open room changed: a mode of another room ends. */
export function modeFollowsRoom(resize) {
  const mode = state.composerMode;
  if (mode && mode.roomId !== state.currentRoomId) cancelMode({ resize });
  else renderBar();
}

/** The reply's seq for a message about to be sent in `roomId` (the mode ends), or null. */
export function takeReplyTo(roomId) {
  const mode = state.composerMode;
  if (!mode || mode.kind !== 'reply' || mode.roomId !== roomId) return null;
  state.composerMode = null;
  renderBar();
  return mode.seq;
}

export function editing() {
  const mode = state.composerMode;
  return mode && mode.kind === 'edit' ? mode : null;
}

/** Saves the edit (`message:edit`); true when done (the mode ended), false when refused. */
export async function saveEdit(text, resize) {
  const mode = editing();
  if (!mode) return false;
  const room = state.rooms.get(mode.roomId);
  if (!room) { cancelMode({ resize }); return false; }
  const held = room.timeline.bySeq.get(mode.seq);
  if (held && held.text === text) { cancelMode({ resize }); return true; }
  try {
    const res = await request('message:edit', { roomId: room.id, seq: mode.seq, text });
    if (res.message) applyChange(room, { roomId: room.id, change: res.message.change, message: res.message });
  } catch (e) {
    flashNotice(`Could not save the edit: ${e.text}`);
    return false;
  }
  if (state.composerMode === mode) cancelMode({ resize });
  return true;
}
