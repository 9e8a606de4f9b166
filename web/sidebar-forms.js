/* The sidebar's two forms: join or create a public room by name, message someone by name. */
import { showFormError } from './dom.js';
import { RequestError } from './errors.js';
import { createOrJoinRoom, dmErrorText, openDm } from './room-actions.js';
import { ui } from './ui.js';

/**
 * Runs `action(name)` for a form's text input: an empty name is refused with `emptyText`, the
 * button is disabled meanwhile, a failure is shown under the form and the input keeps its text.
 */
async function submitName({ input, button, error, emptyText, action, failureText }) {
  const name = input.value.trim();
  if (!name) { showFormError(error, emptyText); input.focus(); return; }
  showFormError(error, '');
  button.disabled = true;
  try {
    await action(name);
    input.value = '';
  } catch (err) {
    showFormError(error, failureText(err, name));
    input.focus();
  } finally {
    button.disabled = false;
  }
}

export function onCreateRoomSubmit(e) {
  e.preventDefault();
  return submitName({
    input: ui.createRoomInput,
    button: ui.createRoomButton,
    error: ui.createRoomError,
    emptyText: 'Enter a room name.',
    action: createOrJoinRoom,
    failureText: (err) => (err instanceof RequestError ? err.text : String(err)),
  });
}

export function onDmSubmit(e) {
  e.preventDefault();
  return submitName({
    input: ui.dmInput,
    button: ui.dmButton,
    error: ui.dmError,
    emptyText: 'Enter a user name.',
    action: openDm,
    failureText: dmErrorText,
  });
}
