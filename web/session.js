/*
 * The session: boot (is there one?), sign-in, sign-out, and starting / tearing down the chat
 * view around it. Other modules report a lost session through session-lost.js.
 */
import { clearImages } from './attachment-upload.js';
import { api, httpError } from './api.js';
import { connectSocket } from './connection.js';
import { show, showFormError } from './dom.js';
import { closeDrawers } from './drawers.js';
import { ERROR_TEXT, RequestError } from './errors.js';
import { flashStatus, setBanner } from './notices.js';
import { renderAll } from './render.js';
import { resetState, state } from './state.js';
import { stopReadMarks } from './read-marks.js';
import { closeSearch } from './search.js';
import { stopTyping } from './typing.js';
import { ui } from './ui.js';
import { setMe } from './users.js';
import { validUser } from './values.js';

function showView(which) {
  show(ui.bootView, which === 'boot');
  show(ui.signinView, which === 'signin');
  show(ui.appView, which === 'app');
}

function showSignin(errorText) {
  showView('signin');
  showFormError(ui.signinError, errorText || '');
  ui.signinSubmit.disabled = false;
  ui.signinSubmit.textContent = 'Sign in';
  (ui.signinName.value ? ui.signinPassword : ui.signinName).focus();
}

function startApp(user) {
  resetState();
  setMe(user);
  showView('app');
  showFormError(ui.avatarError, '');
  ui.avatarStatus.textContent = '';
  renderAll('bottom');
  connectSocket();
}

function stopTimersAndSocket() {
  const s = state;
  clearTimeout(s.connectTimer);
  clearTimeout(s.retryTimer);
  clearTimeout(s.roomsRefreshTimer);
  clearTimeout(s.typingOut.idleTimer);
  stopReadMarks();
  for (const map of s.typingIn.values()) for (const t of map.values()) clearTimeout(t.timer);
  for (const room of s.rooms.values()) for (const p of room.pending) clearTimeout(p.retryTimer);
  if (s.socket) {
    s.socket.removeAllListeners();
    s.socket.disconnect();
  }
}

function teardown() {
  stopTimersAndSocket();
  resetState();
  clearImages(); // the strip too: the next user of this browser must not see these uploads
  closeDrawers();
  setBanner(null);
  ui.messageList.replaceChildren();
  ui.publicRoomList.replaceChildren();
  ui.directRoomList.replaceChildren();
  ui.otherRoomList.replaceChildren();
  ui.onlineList.replaceChildren();
  ui.typingLine.textContent = '';
  ui.meName.textContent = '';
  show(ui.notice, false);
  showFormError(ui.avatarError, '');
  showFormError(ui.createRoomError, '');
  showFormError(ui.dmError, '');
  ui.composerInput.value = '';
  show(ui.composerBar, false);
  closeSearch({ clear: true });
  ui.signinPassword.value = '';
  document.title = 'docker-chat';
}

export function sessionLost() {
  teardown();
  showSignin(ERROR_TEXT.unauthorized);
}

/** The sign-in error for a refused POST /api/session, with the wait when rate limited. */
function signinErrorOf(r) {
  const err = httpError(r, r.status === 401 ? 'bad_credentials' : r.status === 429 ? 'rate_limited' : 'bad_request');
  let text = err.text;
  if (err.code === 'rate_limited') {
    const after = parseInt(r.headers.get('Retry-After') || '', 10);
    if (Number.isFinite(after) && after > 0) text = `Too many attempts. Please try again in ${after} second${after === 1 ? '' : 's'}.`;
  }
  return { code: err.code, text };
}

async function trySignIn(name, password) {
  const r = await api('POST', '/api/session', { name, password });
  if ((r.status === 200 || r.status === 201) && r.data && validUser(r.data.user)) {
    ui.signinPassword.value = '';
    startApp(r.data.user);
    if (r.status === 201) flashStatus('Account created', 6000);
    return;
  }
  const err = signinErrorOf(r);
  showFormError(ui.signinError, err.text);
  if (err.code === 'bad_credentials' || err.code === 'invalid_password') {
    ui.signinPassword.select();
    ui.signinPassword.focus();
  } else if (err.code === 'invalid_name') {
    ui.signinName.focus();
  }
}

export async function signIn(ev) {
  ev.preventDefault();
  const name = ui.signinName.value.trim();
  const password = ui.signinPassword.value;
  if (!name || !password) {
    showFormError(ui.signinError, !name ? 'Please enter a name.' : 'Please enter a password.');
    (!name ? ui.signinName : ui.signinPassword).focus();
    return;
  }
  showFormError(ui.signinError, '');
  ui.signinSubmit.disabled = true;
  ui.signinSubmit.textContent = 'Signing in…';
  try {
    await trySignIn(name, password);
  } catch (e) {
    showFormError(ui.signinError, e instanceof RequestError ? e.text : ERROR_TEXT.network);
  } finally {
    ui.signinSubmit.disabled = false;
    ui.signinSubmit.textContent = 'Sign in';
  }
}

/** `everywhere`: every session of the account ends (DELETE /api/sessions), on all devices. */
export async function signOut(everywhere = false) {
  if (state.signingOut) return;
  state.signingOut = true;
  ui.signoutButton.disabled = true;
  ui.signoutAllButton.disabled = true;
  stopTyping();
  // Images uploaded and not sent are deleted while the session still exists (at most 2 s).
  await Promise.race([clearImages(), new Promise((resolve) => { setTimeout(resolve, 2000); })]);
  let note = '';
  try {
    const r = await api('DELETE', everywhere ? '/api/sessions' : '/api/session');
    if (!(r.ok || r.status === 401)) note = 'The server did not confirm the sign-out; you may still be signed in.';
  } catch (_) {
    note = 'Signed out here, but the server could not be reached.';
  }
  ui.signoutButton.disabled = false;
  ui.signoutAllButton.disabled = false;
  teardown();
  showSignin(note);
}

/** Page load: the chat if a session exists, else the sign-in form. */
export async function boot() {
  showView('boot');
  let r;
  try {
    r = await api('GET', '/api/me');
  } catch (e) {
    showSignin(ERROR_TEXT.network);
    return;
  }
  if (r.status === 200 && r.data && validUser(r.data.user)) {
    startApp(r.data.user);
  } else {
    showSignin(r.status === 401 || r.status === 404 ? '' : `The server answered ${r.status}. Try again in a moment.`);
  }
}
