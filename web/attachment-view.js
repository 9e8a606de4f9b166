/*
 * Image attachments in the message list: the thumbnails of a message (the server's own
 * re-encoded WebP, GET /api/attachments/{id}/thumb, sized from the message so the list does not
 * jump while they load) and the full image in a modal viewer on click (Esc, the close button or a
 * click beside the image closes it). URLs come only from message-fields.js normaliseAttachments,
 * which accepts the server's attachment route and nothing else.
 */
import { h } from './dom.js';

/** The thumbnails of `attachments` (normalised), or null when there are none. */
export function attachmentsNode(attachments, { pending = false } = {}) {
  if (!attachments || !attachments.length) return null;
  return h('div', { class: 'msg-images', 'data-testid': 'message-images' }, attachments.map((a, i) =>
    h('button', {
      type: 'button', class: 'msg-image', 'data-testid': 'message-image', 'data-msg-action': 'view-image', 'data-full-url': a.url,
      'data-width': a.width, 'data-height': a.height, 'aria-label': `Image ${i + 1} of ${attachments.length}: open full size`,
      disabled: pending,
    }, [h('img', { src: a.thumbUrl, width: a.thumbWidth, height: a.thumbHeight, alt: '', loading: 'lazy', decoding: 'async' })])));
}

let viewer = null;

function viewerDialog() {
  if (viewer) return viewer;
  const img = h('img', { class: 'image-viewer-img', alt: 'Full-size image', 'data-testid': 'image-viewer-img' });
  const close = h('button', { type: 'button', class: 'btn btn-icon image-viewer-close', 'aria-label': 'Close image', 'data-testid': 'image-viewer-close', text: '×' });
  viewer = h('dialog', { class: 'image-viewer', 'aria-label': 'Image', 'data-testid': 'image-viewer' }, [close, img]);
  close.addEventListener('click', () => viewer.close());
  // A click on the backdrop (the dialog itself, outside the image) closes it.
  viewer.addEventListener('click', (e) => { if (e.target === viewer) viewer.close(); });
  viewer.addEventListener('close', () => { img.removeAttribute('src'); });
  document.body.append(viewer);
  return viewer;
}

/** Opens the full image of a thumbnail button (data-full-url). */
export function openImage(button) {
  const url = button.dataset.fullUrl;
  if (!url) return;
  const dialog = viewerDialog();
  const img = dialog.querySelector('img');
  img.setAttribute('src', url);
  img.setAttribute('width', button.dataset.width || '');
  img.setAttribute('height', button.dataset.height || '');
  if (!dialog.open) dialog.showModal();
}
