/*
 * Images for the next message: picked (the composer's button), pasted or dropped, each uploaded
 * at once to the open room (POST /api/rooms/{id}/attachments, multipart field `file`), shown in
 * the composer as the server's thumbnail with a remove button, and sent with the message as
 * `attachments: [id...]` (at most 4). The server decides what an image is (type from the bytes,
 * re-encoded without metadata): the browser only keeps obvious non-images and oversized files
 * from being sent at all.
 *
 * Each image has an AbortController: removing it (or leaving the room, or signing out) stops its
 * upload, a queued one never starts, and one already uploaded but not sent is deleted on the
 * server (DELETE /api/attachments/{id}, fire and forget: a 404 means it is gone already, and
 * anything else is left to the server's expiry of unsent uploads).
 */
import { api } from './api.js';
import { h, reconcile } from './dom.js';
import { ERROR_TEXT, errorText, retryAfterMs, waitText } from './errors.js';
import { reportSessionLost } from './session-lost.js';
import { state } from './state.js';
import { ui } from './ui.js';

export const MAX_IMAGES = 4;                   // per message (too_many_attachments)
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;      // CHAT_MAX_ATTACHMENT_BYTES's default (413 too_large)

/** Timings of uploads (a mutable object so the browser tests can shorten them). */
export const uploadTiming = {
  stallMs: 60000,        // an upload with no progress (bytes sent or answer) for this long is stopped
  maxRetryWaitMs: 60000, // a Retry-After longer than this is shown ("try again in …"), not waited for
  maxRetries: 5,         // busy answers waited out in a row for one image before giving up
};

let nextKey = 1;
// The server takes one upload at a time per user (429 otherwise): uploads go one after another.
let queue = Promise.resolve();
let onChange = () => {};

/** `fn` runs whenever the images change (the composer re-checks its Send button). */
export function onImagesChange(fn) { onChange = fn; }

function images() {
  if (!state.composerImages) state.composerImages = [];
  return state.composerImages;
}

/** Still pending or uploaded: what counts towards MAX_IMAGES (failed ones are only shown). */
const counted = (i) => i.status === 'uploading' || i.status === 'ready';
const live = (item) => images().includes(item) && !item.controller.signal.aborted;

/** Deletes an uploaded, unsent image on the server; answers and errors are ignored (see the top). */
function deleteUpload(item) {
  if (item.status !== 'ready' || !item.attachment) return Promise.resolve();
  return api('DELETE', `/api/attachments/${encodeURIComponent(item.attachment.id)}`).catch(() => {});
}

/** Stops `item`'s upload (running, queued or waiting to retry) and deletes it if uploaded. */
function discard(item) {
  item.controller.abort();
  return deleteUpload(item);
}

/** The images belong to one room: opening another drops them (and deletes the uploaded ones). */
export function imagesFollowRoom(roomId) {
  if (images().length && images()[0].roomId !== roomId) clearImages();
}

/**
 * Drops every image: uploads stop, uploaded ones are deleted on the server. Resolves when the
 * deletes are answered (sign-out waits for them before ending the session).
 */
export function clearImages() {
  const deletes = images().map(discard);
  state.composerImages = [];
  announce('');
  render();
  return Promise.all(deletes);
}

export const uploading = () => images().some((i) => i.status === 'uploading');
export const readyImages = () => images().filter((i) => i.status === 'ready');

/** Takes the uploaded images for a message being sent: their Attachments (and empties the strip). */
export function takeImages() {
  const taken = readyImages().map((i) => i.attachment);
  for (const i of images()) i.controller.abort(); // nothing is running (Send waits for uploads)
  state.composerImages = [];
  announce('');
  render();
  return taken;
}

/**
 * Says `text` through the composer's polite live region, which is in the page from the start: a
 * status line inserted with its item is not reliably announced.
 */
function announce(text) {
  if (ui.composerImagesStatus && ui.composerImagesStatus.textContent !== text) ui.composerImagesStatus.textContent = text;
}

/** "image photo.png" (or "image"): how the messages name an item. */
const named = (item) => (item.name ? `image ${item.name}` : 'image');

function failedText(r, waitMs) {
  const code = (r.data && typeof r.data.error === 'string' && r.data.error)
    || (r.status === 413 ? 'too_large' : r.status === 415 ? 'unsupported_type' : r.status === 429 ? 'rate_limited' : 'bad_upload');
  const serverMessage = r.data && typeof r.data.message === 'string' ? r.data.message.trim() : '';
  // The server says which limit (bytes, pixels, uploads waiting): its words first.
  const text = serverMessage || errorText(code);
  return waitMs === null ? text : `${text.replace(/[.\s]*$/, '')}. Try again in ${waitText(waitMs)}.`;
}

/**
 * One POST of `file` for `item`: resolves with { status, ok, data, retryAfter } or
 * { failure: 'network' | 'stalled' | 'aborted' }, never rejects. XMLHttpRequest rather than
 * fetch: only it reports upload progress, which tells a stalled upload from a big image on a slow
 * link (uploadTiming.stallMs without a byte sent or received ends it).
 */
function post(item, file) {
  return new Promise((resolve) => {
    const signal = item.controller.signal;
    if (signal.aborted) { resolve({ failure: 'aborted' }); return; }
    const xhr = new XMLHttpRequest();
    let timer = 0;
    let why = '';
    const onAbort = () => { why = why || 'aborted'; xhr.abort(); };
    const done = (r) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const progress = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { why = 'stalled'; xhr.abort(); }, uploadTiming.stallMs);
    };
    xhr.open('POST', `/api/rooms/${item.roomId}/attachments`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', progress);
    xhr.upload.addEventListener('load', progress);
    xhr.addEventListener('progress', progress);
    xhr.addEventListener('load', () => {
      let data = null;
      if (xhr.status !== 204 && (xhr.getResponseHeader('Content-Type') || '').includes('json')) {
        try { data = JSON.parse(xhr.responseText); } catch (_) { data = null; }
      }
      done({ status: xhr.status, ok: xhr.status >= 200 && xhr.status < 300, data, retryAfter: xhr.getResponseHeader('Retry-After') });
    });
    xhr.addEventListener('error', () => done({ failure: 'network' }));
    xhr.addEventListener('abort', () => done({ failure: why || 'aborted' }));
    signal.addEventListener('abort', onAbort);
    const form = new FormData();
    form.append('file', file, file.name || 'image');
    progress();
    xhr.send(form);
  });
}

/** Waits `ms` before a retry, showing the countdown on the item; ends early if it is removed. */
function waitToRetry(item, ms) {
  return new Promise((resolve) => {
    const signal = item.controller.signal;
    item.retryAt = Date.now() + ms;
    announce(`The server is busy: ${named(item)} will be uploaded in ${waitText(ms)}.`);
    const tick = setInterval(render, 1000);
    const finish = () => {
      clearTimeout(timer);
      clearInterval(tick);
      signal.removeEventListener('abort', finish);
      item.retryAt = null;
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish);
    render();
  });
}

function fail(item, text) {
  item.status = 'failed';
  item.error = text;
  announce('');
  render();
}

const STALLED_TEXT = 'The upload stopped making progress and was cancelled. Remove it and try again.';

async function upload(item, file) {
  for (let attempt = 0; ; attempt++) {
    if (!live(item)) return; // removed while queued or waiting
    announce(`Uploading ${named(item)}…`);
    const r = await post(item, file);
    if (!live(item)) return;
    if (r.failure) { fail(item, r.failure === 'stalled' ? STALLED_TEXT : ERROR_TEXT.network); return; }
    if (r.status === 401) { reportSessionLost(); return; }
    if (r.ok && r.data && r.data.attachment && typeof r.data.attachment.id === 'string') {
      item.status = 'ready';
      item.attachment = r.data.attachment;
      announce(`Uploaded ${named(item)}.`);
      render();
      return;
    }
    // 429 (another upload of ours is still being processed: avatars share the one slot) or 503
    // (the server's uploads are all busy) with a Retry-After is a wait of a second or two, not a
    // verdict on the image: the person who picked it expects it to arrive, not to pick it again,
    // so it is waited out with a countdown on the item, which stays removable. A long wait, or
    // being refused again and again, ends as "try again in …"; a refusal without Retry-After
    // (20 unsent uploads, a bad image) is shown at once.
    const waitMs = r.status === 429 || r.status === 503 ? retryAfterMs(r.retryAfter) : null;
    if (waitMs !== null && waitMs <= uploadTiming.maxRetryWaitMs && attempt < uploadTiming.maxRetries) {
      await waitToRetry(item, waitMs);
      continue;
    }
    fail(item, failedText(r, waitMs));
    return;
  }
}

/** Adds files (a FileList or array) to the open room's next message; returns how many were taken. */
export function addFiles(files, roomId) {
  if (roomId === null || roomId === undefined) return 0;
  imagesFollowRoom(roomId);
  let taken = 0;
  for (const file of Array.from(files || [])) {
    if (!file || !String(file.type).startsWith('image/')) continue;
    const item = { key: nextKey++, roomId, status: 'uploading', error: null, attachment: null, name: file.name,
      controller: new AbortController(), retryAt: null };
    if (images().filter(counted).length >= MAX_IMAGES) {
      images().push({ ...item, status: 'failed', error: `At most ${MAX_IMAGES} images per message.` });
      break;
    }
    images().push(item);
    taken++;
    if (file.size > MAX_IMAGE_BYTES) {
      item.status = 'failed';
      item.error = 'That image is larger than 10 MiB.';
    } else {
      queue = queue.then(() => upload(item, file));
    }
  }
  render();
  return taken;
}

function remove(key) {
  const item = images().find((i) => i.key === key);
  state.composerImages = images().filter((i) => i !== item);
  if (item) discard(item);
  if (!uploading()) announce('');
  render();
}

function statusText(item) {
  if (item.status === 'failed') return item.error;
  return item.retryAt ? `Server busy: retrying in ${waitText(item.retryAt - Date.now())}…` : 'Uploading…';
}

/**
 * The item's <li>, kept from one render to the next (only its first child, the thumbnail or the
 * status line, is replaced when it changes) so a focused remove button keeps its focus.
 */
function itemNode(item) {
  if (!item.node) {
    const remove_ = h('button', { type: 'button', class: 'btn btn-icon composer-image-remove', 'aria-label': `Remove ${named(item)}`,
      'data-testid': 'composer-image-remove', onclick: () => remove(item.key), text: '×' });
    item.node = h('li', { 'data-testid': 'composer-image' }, [remove_]);
    item.shown = null;
  }
  const shown = item.status === 'ready' ? `ready ${item.attachment.thumbUrl}` : `${item.status} ${statusText(item)}`;
  if (item.shown !== shown) {
    item.shown = shown;
    const body = item.status === 'ready'
      ? h('img', { src: item.attachment.thumbUrl, alt: item.name ? `Image ${item.name}` : 'Image', class: 'composer-image-thumb' })
      : h('span', { class: item.status === 'failed' ? 'composer-image-error' : 'composer-image-busy', role: item.status === 'failed' ? 'alert' : null,
        text: statusText(item) });
    item.node.className = `composer-image ${item.status}`;
    item.node.dataset.status = item.status;
    if (item.node.firstElementChild.tagName === 'BUTTON') item.node.prepend(body);
    else item.node.firstElementChild.replaceWith(body);
  }
  return item.node;
}

function render() {
  const list = images();
  ui.composerImages.hidden = list.length === 0;
  reconcile(ui.composerImages, list.map(itemNode));
  onChange();
}
