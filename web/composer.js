/*
 * The message box: its height, the character counter near the limit, enabled only with a room
 * open, and sending what was written (through the outbox; as a reply, or saved as an edit, in
 * the modes of composer-mode.js).
 */
import { imagesFollowRoom, readyImages, takeImages, uploading } from './attachment-upload.js';
import { editing, modeFollowsRoom, saveEdit, takeReplyTo } from './composer-mode.js';
import { charCount, normaliseOutgoing } from './format.js';
import { pump, queueMessage } from './outbox.js';
import { renderMessages } from './render-messages.js';
import { currentRoom, roomDisplayName } from './rooms.js';
import { stopTyping } from './typing.js';
import { ui } from './ui.js';

const MAX_TEXT = 4000;      // server refuses longer texts (invalid_text)
const COUNTER_FROM = 3500;  // show the character counter only near the limit

export function autosize() {
  // CSSOM (not a style attribute), which the page's CSP allows.
  const ta = ui.composerInput;
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(ta.scrollHeight + 2, Math.round(window.innerHeight * 0.4))}px`;
}

export function updateCounter() {
  const n = charCount(ui.composerInput.value);
  const over = n > MAX_TEXT;
  const near = n >= COUNTER_FROM;
  ui.charCounter.hidden = !near;
  ui.charCounter.textContent = near ? (over ? `${n} / ${MAX_TEXT} — ${n - MAX_TEXT} too many` : `${n} / ${MAX_TEXT}`) : '';
  ui.charCounter.classList.toggle('over', over);
  ui.composerInput.setAttribute('aria-invalid', over ? 'true' : 'false');
  const room = currentRoom();
  // Images alone make a message (the text may then be empty); none may still be uploading.
  const empty = ui.composerInput.value.trim() === '' && (editing() || readyImages().length === 0);
  ui.sendButton.disabled = !room || over || empty || (!editing() && uploading());
}

/** Enabled with a placeholder naming the open room; disabled without one. */
export function updateComposerState() {
  const room = currentRoom();
  ui.composerInput.disabled = !room;
  ui.attachButton.disabled = !room;
  imagesFollowRoom(room ? room.id : null);
  ui.composerInput.placeholder = room
    ? `Message ${room.kind === 'direct' ? roomDisplayName(room) : `#${roomDisplayName(room)}`}`
    : 'Open a room to write';
  modeFollowsRoom(autosize);
  updateCounter();
}

function afterSend() {
  autosize();
  updateCounter();
  stopTyping();
  ui.composerInput.focus();
}

export function sendFromComposer() {
  const room = currentRoom();
  if (!room) return;
  const text = normaliseOutgoing(ui.composerInput.value);
  if (charCount(text) > MAX_TEXT) {
    updateCounter();
    return;
  }
  if (editing()) {
    if (!text) return;
    // The box gets its draft back once the server took the edit.
    saveEdit(text, autosize).then((done) => { if (done) afterSend(); });
    return;
  }
  if (uploading() || (!text && readyImages().length === 0)) return;
  queueMessage(room, text, takeReplyTo(room.id), takeImages());
  ui.composerInput.value = '';
  afterSend();
  renderMessages('bottom');
  pump(room.id);
}
