/*
 * Modules that notice the session has ended (a 401, a refused socket) report it here; session.js
 * registers what happens then (back to sign-in). This keeps those modules from importing
 * session.js, which imports them.
 */
let handler = () => {};

export function whenSessionLost(fn) { handler = fn; }

export function reportSessionLost() { handler(); }
