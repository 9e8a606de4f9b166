/* The open room's header, and renderAll: every part of the chat view at once. */
import { updateComposerState } from './composer.js';
import { bdi, show } from './dom.js';
import { renderMessages } from './render-messages.js';
import { renderOnline } from './render-online.js';
import { renderRooms } from './render-rooms.js';
import { currentRoom, roomDisplayName } from './rooms.js';
import { state } from './state.js';
import { renderTyping } from './typing.js';
import { ui } from './ui.js';

export function renderHeader() {
  const room = currentRoom();
  if (!room) {
    ui.roomTitle.textContent = !state.everConnectedOnce ? 'docker-chat' : state.rooms.size ? 'Choose a room' : 'No room yet';
    ui.roomSubtitle.textContent = !state.everConnectedOnce ? '' : 'Join or create a room, or message someone.';
    show(ui.leaveRoomButton, false);
  } else {
    const name = roomDisplayName(room);
    if (room.kind === 'direct') ui.roomTitle.replaceChildren(bdi(name));
    else ui.roomTitle.replaceChildren('# ', bdi(name));
    ui.roomSubtitle.textContent = room.kind === 'direct' ? 'Direct message' : 'Public room';
    show(ui.leaveRoomButton, room.kind === 'public' && room.joined);
  }
  updateComposerState();
}

/** `mode`: how the message list scrolls (see renderMessages). */
export function renderAll(mode) {
  renderRooms();
  renderHeader();
  renderMessages(mode);
  renderTyping();
  renderOnline();
}
