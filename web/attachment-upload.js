/*
 * Images for the next message: picked (the composer's button), pasted or dropped, each uploaded
 * at once to the open room (POST /api/rooms/{id}/attachments, multipart field `file`), shown in
 * the composer as the server's thumbnail with a remove button, and sent with the message as
 * `attachments: [id...]` (at most 4). The server decides what an image is (type from the bytes,
 * re-encoded without metadata): the browser only keeps obvious non-images and oversized files
 * from being sent at all.
 */
import { api, httpError } from './api.js';
import { h, reconcile } from './dom.js';
import { ERROR_TEXT, errorText, RequestError } from './errors.js';
import { reportSessionLost } from './session-lost.js';
import { state } from './state.js';
import { ui } from './ui.js';

export const MAX_IMAGES = 4;                   // per message (too_many_attachments)
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;      // CHAT_MAX_ATTACHMENT_BYTES's default (413 too_large)
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

/** The images belong to one room: opening another drops them (unsent uploads expire on the server). */
export function imagesFollowRoom(roomId) {
  if (images().length && images()[0].roomId !== roomId) clearImages();
}

export function clearImages() {
  state.composerImages = [];
  render();
}

export const uploading = () => images().some((i) => i.status === 'uploading');
export const readyImages = () => images().filter((i) => i.status === 'ready');

/** Takes the uploaded images for a message being sent: their Attachments (and empties the strip). */
export function takeImages() {
  const taken = readyImages().map((i) => i.attachment);
  clearImages();
  return taken;
}

function failedText(r) {
  const code = r.status === 413 ? 'too_large' : r.status === 415 ? 'unsupported_type' : r.status === 429 ? 'rate_limited' : 'bad_upload';
  const err = httpError(r, code);
  // The server says which limit (bytes, pixels, uploads waiting): its words first.
  return err.serverMessage || errorText(err.code);
}

async function upload(item, file) {
  const form = new FormData();
  form.append('file', file, file.name || 'image');
  try {
    const r = await api('POST', `/api/rooms/${item.roomId}/attachments`, form);
    if (r.status === 401) { reportSessionLost(); return; }
    if (r.ok && r.data && r.data.attachment && typeof r.data.attachment.id === 'string') {
      item.status = 'ready';
      item.attachment = r.data.attachment;
    } else {
      item.status = 'failed';
      item.error = failedText(r);
    }
  } catch (e) {
    item.status = 'failed';
    item.error = e instanceof RequestError ? e.text : ERROR_TEXT.network;
  }
  render();
}

/** Adds files (a FileList or array) to the open room's next message; returns how many were taken. */
export function addFiles(files, roomId) {
  if (roomId === null || roomId === undefined) return 0;
  imagesFollowRoom(roomId);
  let taken = 0;
  for (const file of Array.from(files || [])) {
    if (!file || !String(file.type).startsWith('image/')) continue;
    if (images().length >= MAX_IMAGES) {
      images().push({ key: nextKey++, roomId, status: 'failed', error: `At most ${MAX_IMAGES} images per message.`, name: file.name });
      break;
    }
    const item = { key: nextKey++, roomId, status: 'uploading', error: null, attachment: null, name: file.name };
    images().push(item);
    taken++;
    if (file.size > MAX_IMAGE_BYTES) {
      item.status = 'failed';
      item.error = 'That image is larger than 10 MiB.';
    } else {
      queue = queue.then(() => (images().includes(item) ? upload(item, file) : undefined));
    }
  }
  render();
  return taken;
}

function remove(key) {
  state.composerImages = images().filter((i) => i.key !== key);
  render();
}

function itemNode(item) {
  const body = item.status === 'ready'
    ? h('img', { src: item.attachment.thumbUrl, alt: item.name ? `Image ${item.name}` : 'Image', class: 'composer-image-thumb' })
    : h('span', { class: item.status === 'failed' ? 'composer-image-error' : 'composer-image-busy', role: item.status === 'failed' ? 'alert' : null,
      text: item.status === 'failed' ? item.error : 'Uploading…' });
  return h('li', { class: `composer-image ${item.status}`, 'data-testid': 'composer-image', 'data-status': item.status }, [
    body,
    h('button', { type: 'button', class: 'btn btn-icon composer-image-remove', 'aria-label': 'Remove image', 'data-testid': 'composer-image-remove',
      onclick: () => remove(item.key), text: '×' }),
  ]);
}

function render() {
  const list = images();
  ui.composerImages.hidden = list.length === 0;
  reconcile(ui.composerImages, list.map(itemNode));
  onChange();
}
