/*
 * docker-chat browser UI: the entry module (index.html loads it with <script type="module"> after the
 * classic script /socket.io.min.js, which defines the global `io`). It only wires the page's
 * events to the modules and boots; see README.md for the module graph.
 *
 * The only interface with the server is docs/CHAT_PROTOCOL.md.
 */
import { addFiles, onImagesChange } from './attachment-upload.js';
import { showOwnInitials } from './avatars.js';
import { autosize, sendFromComposer, updateCounter } from './composer.js';
import { cancelMode } from './composer-mode.js';
import { editLastOwn, onMessageListClick } from './message-actions.js';
import { initMentionComplete, mentionKeydown, updateMentionQuery } from './mention-complete.js';
import { showFormError } from './dom.js';
import { closeDrawers, setDrawer, setOnlinePanel } from './drawers.js';
import { currentRoom } from './rooms.js';
import { state } from './state.js';
import { flashNotice } from './notices.js';
import { discardPending, retryPending } from './outbox.js';
import { renderMessages } from './render-messages.js';
import { dmErrorText, leaveCurrentRoom, loadOlder, openDm, openRoom } from './room-actions.js';
import { checkRead } from './read-marks.js';
import { boot, sessionLost, signIn, signOut } from './session.js';
import { whenSessionLost } from './session-lost.js';
import { isolated } from './format.js';
import { onComposerKeystroke } from './typing.js';
import { uploadAvatar } from './profile.js';
import { initNotifications } from './notifications.js';
import { closeSearch, onSearchResultClick, onSearchSubmit, searchMore } from './search.js';
import { onCreateRoomSubmit, onDmSubmit } from './sidebar-forms.js';
import { ui } from './ui.js';

function bindSession() {
  ui.signinForm.addEventListener('submit', signIn);
  ui.signoutButton.addEventListener('click', () => signOut(false));
  ui.signoutAllButton.addEventListener('click', () => signOut(true));
  ui.avatarInput.addEventListener('change', uploadAvatar);
  // A broken image falls back to the initials.
  ui.ownAvatar.addEventListener('error', () => { if (ui.ownAvatar.getAttribute('src')) showOwnInitials(); });
}

// Images for the next message: the button's file picker, a paste of images, or a drop on the
// conversation (attachment-upload.js uploads each at once).
function bindAttachments() {
  onImagesChange(updateCounter);
  ui.attachButton.addEventListener('click', () => ui.attachInput.click());
  ui.attachInput.addEventListener('change', () => {
    addFiles(ui.attachInput.files, state.currentRoomId);
    ui.attachInput.value = '';
    ui.composerInput.focus();
  });
  ui.composerInput.addEventListener('paste', (e) => {
    const files = e.clipboardData ? Array.from(e.clipboardData.files || []) : [];
    if (files.some((f) => f.type.startsWith('image/')) && addFiles(files, state.currentRoomId) > 0) e.preventDefault();
  });
  // Files dragged anywhere over the page are taken here: the browser's default for a drop it was
  // not told about is to open the file in this tab, leaving the chat. Only the conversation takes
  // them, and only with a room open; elsewhere the drop does nothing (the cursor says so).
  const main = ui.composer.closest('main') || ui.composer;
  const hasFiles = (e) => !!e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  const takesDrop = (e) => !!currentRoom() && e.target instanceof Node && main.contains(e.target);
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = takesDrop(e) ? 'copy' : 'none';
  });
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (takesDrop(e) && e.dataTransfer.files.length) addFiles(e.dataTransfer.files, state.currentRoomId);
  });
}

function bindComposer() {
  ui.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    sendFromComposer();
  });
  initMentionComplete(() => { autosize(); updateCounter(); });
  ui.composerInput.addEventListener('keyup', (e) => { if (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End') updateMentionQuery(); });
  ui.composerInput.addEventListener('click', updateMentionQuery);
  ui.composerInput.addEventListener('keydown', (e) => {
    if (mentionKeydown(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendFromComposer();
    } else if (e.key === 'Escape' && cancelMode({ resize: autosize })) {
      e.preventDefault();
      e.stopPropagation();
      updateCounter();
    } else if (e.key === 'ArrowUp' && ui.composerInput.value === '' && !e.shiftKey && editLastOwn()) {
      e.preventDefault();
      updateCounter();
    }
  });
  ui.composerBarCancel.addEventListener('click', () => {
    cancelMode({ resize: autosize });
    updateCounter();
    ui.composerInput.focus();
  });
  ui.composerInput.addEventListener('input', () => {
    autosize();
    updateCounter();
    onComposerKeystroke(ui.composerInput.value);
    updateMentionQuery();
  });
}

// Buttons rendered into lists carry data attributes; one listener per list handles them.
function bindLists() {
  for (const list of [ui.publicRoomList, ui.directRoomList, ui.otherRoomList]) {
    list.addEventListener('click', (e) => {
      const btn = e.target.closest('.room-item');
      if (btn) openRoom(Number(btn.dataset.roomId), { fromUser: true });
    });
  }
  ui.onlineList.addEventListener('click', (e) => {
    const btn = e.target.closest('.online-button');
    if (!btn) return;
    const name = btn.closest('li').dataset.userName;
    openDm(name).catch((err) => flashNotice(`Could not open a conversation with ${isolated(name)}: ${dmErrorText(err, name)}`));
  });
  ui.messageList.addEventListener('click', onMessageListClick);
  ui.messageList.addEventListener('click', (e) => {
    const btn = e.target.closest('button[data-action]');
    const msg = btn && btn.closest('[data-client-id]');
    if (!msg) return;
    const roomId = Number(msg.dataset.roomId);
    if (btn.dataset.action === 'retry') retryPending(roomId, msg.dataset.clientId);
    else if (btn.dataset.action === 'discard') discardPending(roomId, msg.dataset.clientId);
  });
}

function bindRoomControls() {
  ui.loadOlderButton.addEventListener('click', loadOlder);
  ui.leaveRoomButton.addEventListener('click', leaveCurrentRoom);
  ui.createRoomForm.addEventListener('submit', onCreateRoomSubmit);
  ui.createRoomInput.addEventListener('input', () => showFormError(ui.createRoomError, ''));
  ui.dmForm.addEventListener('submit', onDmSubmit);
  ui.dmInput.addEventListener('input', () => showFormError(ui.dmError, ''));
  ui.searchForm.addEventListener('submit', onSearchSubmit);
  ui.searchResults.addEventListener('click', onSearchResultClick);
  ui.searchMore.addEventListener('click', searchMore);
  ui.searchClose.addEventListener('click', () => { closeSearch(); ui.searchInput.focus(); });
  for (const el of [ui.searchPanel, ui.searchInput]) {
    el.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || ui.searchPanel.hidden) return;
      e.stopPropagation();
      closeSearch();
      ui.searchInput.focus();
    });
  }
}

function bindLayout() {
  ui.roomsToggle.addEventListener('click', () => setDrawer(!ui.sidebar.classList.contains('open')));
  ui.onlineToggle.addEventListener('click', () => setOnlinePanel(!ui.onlinePanel.classList.contains('open')));
  ui.onlineClose.addEventListener('click', () => { closeDrawers(); ui.onlineToggle.focus(); });
  ui.scrim.addEventListener('click', closeDrawers);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    const { wasSidebar, wasOnline } = closeDrawers();
    if (wasSidebar) ui.roomsToggle.focus();
    else if (wasOnline) ui.onlineToggle.focus();
  });
  // Leaving the narrow layout with a drawer open must not leave the scrim behind.
  window.matchMedia('(max-width: 1000px)').addEventListener('change', () => closeDrawers());
  window.addEventListener('resize', () => { if (ui.composerInput.value) autosize(); });
}

function bindPage() {
  // What is on screen becomes read once the page is visible and focused again.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') { renderMessages('follow'); checkRead(); }
  });
  window.addEventListener('focus', () => checkRead());
  // Edit buttons disappear once a message's edit window has passed.
  setInterval(() => renderMessages('follow'), 30000);
}

whenSessionLost(sessionLost);
bindSession();
bindComposer();
bindAttachments();
bindLists();
bindRoomControls();
bindLayout();
bindPage();
initNotifications();
boot();
