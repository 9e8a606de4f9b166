/* The own avatar: picking a file uploads it (POST /api/avatar, multipart). */
import { api, httpError } from './api.js';
import { showFormError } from './dom.js';
import { ERROR_TEXT, RequestError } from './errors.js';
import { repaintAvatarsOf } from './avatars.js';
import { renderOnline } from './render-online.js';
import { flashStatus } from './notices.js';
import { reportSessionLost } from './session-lost.js';
import { state } from './state.js';
import { ui } from './ui.js';
import { setMe } from './users.js';
import { validUser } from './values.js';

const MAX_AVATAR_BYTES = 5 * 1024 * 1024; // server limit (413 too_large)

function uploadFailed(r) {
  const code = r.status === 413 ? 'too_large' : r.status === 415 ? 'unsupported_type' : 'bad_upload';
  const err = httpError(r, code);
  // For uploads our own wording is clearer than a generic server message.
  showFormError(ui.avatarError, ERROR_TEXT[err.code] ? ERROR_TEXT[err.code] : err.text);
  ui.avatarStatus.textContent = '';
}

export async function uploadAvatar() {
  const file = ui.avatarInput.files && ui.avatarInput.files[0];
  if (!file) return;
  showFormError(ui.avatarError, '');
  if (file.size > MAX_AVATAR_BYTES) {
    showFormError(ui.avatarError, ERROR_TEXT.too_large);
    ui.avatarInput.value = '';
    return;
  }
  ui.avatarStatus.textContent = 'Uploading…';
  ui.ownAvatarBox.classList.add('busy');
  const form = new FormData();
  form.append('avatar', file, file.name || 'avatar');
  try {
    const r = await api('POST', '/api/avatar', form);
    if (r.status === 401) { reportSessionLost(); return; }
    if (r.ok && r.data && validUser(r.data.user)) {
      setMe(r.data.user);
      repaintAvatarsOf(state.me.id);
      renderOnline();
      flashStatus('Avatar updated', 4000);
    } else {
      uploadFailed(r);
    }
  } catch (e) {
    showFormError(ui.avatarError, e instanceof RequestError ? e.text : ERROR_TEXT.network);
    ui.avatarStatus.textContent = '';
  } finally {
    ui.ownAvatarBox.classList.remove('busy');
    ui.avatarInput.value = '';
  }
}
