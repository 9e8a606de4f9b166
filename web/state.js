/*
 * The state shared by the UI modules, held in one explicit object. Sign-in and sign-out replace
 * its contents (resetState), never the object, so every module keeps the same reference.
 *
 * A room (state.rooms, built by rooms.js):
 *   id, kind ('public'|'direct'), name, peer (User|null), joined,
 *   timeline     its messages, lastSeq, read mark and unread counts (timeline.js)
 *   pending      local messages not yet acknowledged, in the order they were written (outbox.js)
 *   loaded       the timeline holds the latest page (room:join / dm:open answered at least once)
 *   loading      a join is in flight: live messages are kept so nothing falls in between
 *   stale        loaded before the last reconnect: fetched again when opened
 *   hasOlder     the "load older" button makes sense; loadingOlder: a history page is coming
 *   online       Users from presence / join
 *   readSeq      the server's read position (any device); ownSeqs: own messages after it
 *   mentionCount the server's count of unread mentions; mentionSeqs: live ones since
 *   dividerAfter "New messages" goes after this seq (the readSeq when the room was opened)
 */
function newState() {
  return {
    me: null,
    limits: null,          // what `ready` says the server takes: { editWindowMs }
    users: new Map(),
    rooms: new Map(),
    currentRoomId: null,
    socket: null,
    connGen: 0,           // incremented on every `ready`: async work checks it to stay current
    everReady: false,
    everConnectedOnce: false,
    composerMode: null,   // composer-mode.js: { kind: 'reply'|'edit', roomId, seq, ... } or null
    composerImages: [],   // attachment-upload.js: images for the next message, each { key, roomId, status, attachment, error }
    typingOut: { roomId: null, lastSent: 0, idleTimer: null, active: false },
    typingIn: new Map(),  // roomId -> Map(userId -> { name, timer })
    nodeCache: new Map(), // key -> element, for the current room's message list
    roomButtons: new Map(),
    onlineNodes: new Map(),
    earlyPresence: new Map(), // roomId -> online, for presence that arrives before its room
    connectTimer: null,
    retryTimer: null,
    roomsRefreshTimer: null,
    signingOut: false,
  };
}

export const state = newState();

/** Back to the signed-out state (all fields replaced; the caller clears timers first). */
export function resetState() {
  Object.assign(state, newState());
}
