/*
 * chatd browser UI. Plain JavaScript, no build step, no framework.
 *
 * Loaded as a classic script at the end of <body>, after /socket.io.min.js (which defines the
 * global `io`).
 * Classic rather than a module on purpose: it keeps working even if a static file server sends
 * an imperfect Content-Type, and it needs no import map.
 *
 * Safety rule for this file: user-controlled text (names, messages, room names, server error
 * messages) only ever reaches the DOM through textContent / Text nodes / attribute values set
 * with setAttribute on non-event, non-style attributes. There is no innerHTML anywhere.
 *
 * The only interface with the server is docs/CHAT_PROTOCOL.md.
 */
'use strict';

(() => {
  // ---------------------------------------------------------------------------------------------
  // Constants (each with the reason for its value)
  // ---------------------------------------------------------------------------------------------
  const MAX_TEXT = 4000;              // server refuses longer texts (invalid_text)
  const COUNTER_FROM = 3500;          // show the character counter only near the limit
  const PAGE = 50;                    // room:join returns the latest 50; history pages the same
  const SYNC_LIMIT = 500;             // sync returns at most 500 per room: ask again if full
  const ACK_TIMEOUT_MS = 10000;       // an ack that takes longer is treated as lost
  const TYPING_THROTTLE_MS = 2000;    // send `typing: true` at most once per 2 s
  const TYPING_IDLE_MS = 3000;        // send `typing: false` 3 s after the last keystroke
  const TYPING_EXPIRE_MS = 5000;      // others' typing state expires without a refresh
  const AT_BOTTOM_PX = 80;            // "near the bottom": keep following new messages
  const MAX_AVATAR_BYTES = 5 * 1024 * 1024; // server limit (413 too_large)
  const AVATAR_COLOURS = 10;          // .av-c0 … .av-c9 in app.css
  const STORE_PREFIX = 'chatd:';

  // ---------------------------------------------------------------------------------------------
  // Small DOM helpers
  // ---------------------------------------------------------------------------------------------
  const byId = (id) => document.getElementById(id);

  /** Creates an element. Text goes through textContent; no HTML parsing ever happens. */
  function h(tag, props, children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k === 'hidden') e.hidden = true;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    if (children) for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  /**
   * Makes `container`'s children exactly `nodes`, in order, moving as few nodes as possible
   * (nodes already in place are left alone, so focus and screen-reader state survive).
   */
  function reconcile(container, nodes) {
    const keep = new Set(nodes);
    for (const child of Array.from(container.children)) {
      if (!keep.has(child)) child.remove();
    }
    let cur = container.firstElementChild;
    for (const node of nodes) {
      if (node === cur) {
        cur = cur.nextElementSibling;
      } else {
        container.insertBefore(node, cur);
      }
    }
  }

  function show(e, on) { e.hidden = !on; }

  // Bidi isolation (issue #9): a name or message may hold right-to-left letters or stray
  // direction marks; isolated, it takes its own direction and cannot reorder the text around it
  // ("alice: hi" must not turn into "ih :ecila" next to an Arabic name).
  /** A user or room name as an element: <bdi> is dir=auto + unicode-bidi: isolate. */
  function bdi(name) { return h('bdi', { text: name }); }
  /** The same for names inside plain text (notices, tooltips): FIRST STRONG ISOLATE … POP. */
  function isolated(name) { return `\u2068${name}\u2069`; }

  // ---------------------------------------------------------------------------------------------
  // Elements
  // ---------------------------------------------------------------------------------------------
  const ui = {
    bootView: byId('bootView'),
    signinView: byId('signinView'),
    signinForm: byId('signinForm'),
    signinName: byId('signinName'),
    signinPassword: byId('signinPassword'),
    signinError: byId('signinError'),
    signinSubmit: byId('signinSubmit'),
    appView: byId('appView'),
    banner: byId('connectionBanner'),
    sidebar: byId('sidebar'),
    scrim: byId('scrim'),
    avatarInput: byId('avatarInput'),
    ownAvatar: byId('ownAvatar'),
    ownAvatarBox: byId('ownAvatarBox'),
    ownAvatarInitials: byId('ownAvatarInitials'),
    avatarStatus: byId('avatarStatus'),
    avatarError: byId('avatarError'),
    meName: byId('meName'),
    signoutButton: byId('signoutButton'),
    signoutAllButton: byId('signoutAllButton'),
    publicRoomList: byId('publicRoomList'),
    publicRoomsEmpty: byId('publicRoomsEmpty'),
    directRoomList: byId('directRoomList'),
    directRoomsEmpty: byId('directRoomsEmpty'),
    otherRoomsSection: byId('otherRoomsSection'),
    otherRoomList: byId('otherRoomList'),
    createRoomForm: byId('createRoomForm'),
    createRoomInput: byId('createRoomInput'),
    createRoomButton: byId('createRoomButton'),
    createRoomError: byId('createRoomError'),
    dmForm: byId('dmForm'),
    dmInput: byId('dmInput'),
    dmButton: byId('dmButton'),
    dmError: byId('dmError'),
    roomsToggle: byId('roomsToggle'),
    roomsToggleBadge: byId('roomsToggleBadge'),
    roomTitle: byId('roomTitle'),
    roomSubtitle: byId('roomSubtitle'),
    leaveRoomButton: byId('leaveRoomButton'),
    onlineToggle: byId('onlineToggle'),
    onlineToggleText: byId('onlineToggleText'),
    messagesScroll: byId('messagesScroll'),
    loadOlderButton: byId('loadOlderButton'),
    messageList: byId('messageList'),
    messagesEmpty: byId('messagesEmpty'),
    typingLine: byId('typingLine'),
    composer: byId('composer'),
    composerInput: byId('composerInput'),
    sendButton: byId('sendButton'),
    charCounter: byId('charCounter'),
    onlinePanel: byId('onlinePanel'),
    onlineClose: byId('onlineClose'),
    onlineCount: byId('onlineCount'),
    onlineList: byId('onlineList'),
    onlineEmpty: byId('onlineEmpty'),
    notice: byId('notice'),
  };

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  /**
   * Room state, one per room id:
   *   id, kind ('public'|'direct'), name, peer (User|null), joined,
   *   lastSeq      highest seq known to exist (from the server's Room or from messages seen)
   *   messages     stored messages, sorted by seq, no duplicates (bySeq indexes them)
   *   pending      local messages not yet acknowledged, in the order they were written
   *   loaded       messages holds the latest page (room:join / dm:open answered at least once)
   *   loading      a join is in flight: live messages are kept so nothing falls in between
   *   hasOlder     the "load older" button makes sense
   *   online       Users from presence / join
   *   lastRead     highest seq the user has seen in this room
   *   baseUnread   unread count not backed by individual messages (from lastSeq - lastRead)
   *   unreadSeqs   seqs of others' messages seen while the room was not open
   */
  function newState() {
    return {
      me: null,
      users: new Map(),
      rooms: new Map(),
      currentRoomId: null,
      socket: null,
      connGen: 0,           // incremented on every `ready`: async work checks it to stay current
      everReady: false,
      everConnectedOnce: false,
      readMarks: {},
      readSaveTimer: null,
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
  let state = newState();

  // ---------------------------------------------------------------------------------------------
  // Utilities
  // ---------------------------------------------------------------------------------------------
  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      return window.crypto.randomUUID();
    }
    // randomUUID only exists in secure contexts (https, localhost); getRandomValues everywhere.
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Length in Unicode code points (what a person would call characters, roughly). */
  function charCount(s) {
    let n = 0;
    for (const _ of s) n++; // eslint-disable-line no-unused-vars
    return n;
  }

  function toId(v) {
    const n = typeof v === 'number' ? v : Number(v);
    return Number.isFinite(n) ? n : null;
  }

  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

  /** A same-origin path is the only kind of avatar URL we load. */
  function safeImageUrl(u) {
    if (typeof u !== 'string' || u === '') return null;
    try {
      const url = new URL(u, window.location.href);
      if (url.origin !== window.location.origin) return null;
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
      return url.pathname + url.search;
    } catch (_) {
      return null;
    }
  }

  function initialsOf(name) {
    const s = String(name || '').trim();
    if (!s) return '?';
    const parts = s.split(/[\s._\-]+/u).filter(Boolean);
    let out;
    if (parts.length >= 2) {
      out = Array.from(parts[0])[0] + Array.from(parts[1])[0];
    } else {
      out = Array.from(s).slice(0, 2).join('');
    }
    return out.toUpperCase();
  }

  /** A stable colour index from the name (FNV-1a over UTF-16 units). */
  function colourIndex(name) {
    let hash = 0x811c9dc5;
    const s = String(name || '');
    for (let i = 0; i < s.length; i++) {
      hash ^= s.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash % AVATAR_COLOURS;
  }

  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
  const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
  const dayYearFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

  function validTime(ts) { return typeof ts === 'number' && Number.isFinite(ts) ? ts : Date.now(); }

  function dayKey(ts) {
    const d = new Date(validTime(ts));
    return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
  }

  function dayLabel(ts) {
    const d = new Date(validTime(ts));
    const today = new Date();
    const startOf = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
    const diffDays = Math.round((startOf(today) - startOf(d)) / 86400000);
    if (diffDays === 0) return 'Today';
    if (diffDays === 1) return 'Yesterday';
    return d.getFullYear() === today.getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
  }

  function storeGet(key, fallback) {
    try {
      const v = window.localStorage.getItem(STORE_PREFIX + key);
      return v === null ? fallback : JSON.parse(v);
    } catch (_) {
      return fallback;
    }
  }

  function storeSet(key, value) {
    try {
      window.localStorage.setItem(STORE_PREFIX + key, JSON.stringify(value));
    } catch (_) { /* private mode or full: not important */ }
  }

  // Error texts for the documented codes; the server's own message is used when it explains more.
  const ERROR_TEXT = {
    unauthorized: 'Your session has ended. Please sign in again.',
    bad_credentials: 'Wrong password for this name. (If you are new, choose another name: this one is taken.)',
    invalid_name: 'That name is not allowed.',
    invalid_password: 'That password is not allowed.',
    rate_limited: 'Too many attempts. Please wait a moment and try again.',
    overloaded: 'The server is busy. Trying again shortly.',
    too_many_rooms: 'You are in too many rooms. Leave one first.',
    forbidden: 'You are not allowed to do that.',
    not_found: 'Not found.',
    invalid_text: 'Messages must be between 1 and 4000 characters.',
    name_taken: 'That name is already taken.',
    storage_unavailable: 'The server cannot store data right now. Please try again shortly.',
    bad_request: 'The server did not accept that request.',
    too_large: 'That image is too large (the limit is 5 MiB).',
    unsupported_type: 'Unsupported image type. Please choose a PNG, JPEG, WebP or GIF image.',
    bad_upload: 'The upload could not be read. Please try another image.',
    timeout: 'The server did not answer in time.',
    offline: 'You are offline. Try again when the connection is back.',
    network: 'Cannot reach the server. Check your connection and try again.',
  };
  // For these codes the server's message usually carries the rules (allowed characters, lengths).
  const PREFER_SERVER_MESSAGE = new Set(['invalid_name', 'invalid_password', 'invalid_text', 'bad_request', 'name_taken']);

  function errorText(code, serverMessage, fallback) {
    const msg = typeof serverMessage === 'string' && serverMessage.trim() ? serverMessage.trim() : '';
    if (msg && (PREFER_SERVER_MESSAGE.has(code) || !ERROR_TEXT[code])) return msg;
    return ERROR_TEXT[code] || msg || fallback || 'Something went wrong.';
  }

  class RequestError extends Error {
    constructor(code, message, extra) {
      super(message || code);
      this.code = code;
      Object.assign(this, extra || {});
    }
    get text() { return errorText(this.code, this.serverMessage, this.message); }
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------------
  async function api(method, path, body) {
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body instanceof FormData) {
      init.body = body; // the browser sets the multipart boundary
    } else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new RequestError('network', ERROR_TEXT.network);
    }
    let data = null;
    const type = res.headers.get('Content-Type') || '';
    if (res.status !== 204 && type.includes('json')) {
      try { data = await res.json(); } catch (_) { data = null; }
    }
    return { status: res.status, ok: res.ok, data, headers: res.headers };
  }

  function httpError(r, fallbackCode) {
    const code = (r.data && typeof r.data.error === 'string' && r.data.error) || fallbackCode;
    const serverMessage = r.data && typeof r.data.message === 'string' ? r.data.message : '';
    return new RequestError(code, serverMessage || `HTTP ${r.status}`, { serverMessage, status: r.status });
  }

  // ---------------------------------------------------------------------------------------------
  // Socket requests with acks
  // ---------------------------------------------------------------------------------------------
  function connected() { return !!(state.socket && state.socket.connected && state.everReady); }

  /** Emits an event and resolves with the ack (`ok: true`), rejects with a RequestError. */
  function request(event, payload, timeoutMs) {
    return new Promise((resolve, reject) => {
      const socket = state.socket;
      if (!socket || !socket.connected) {
        reject(new RequestError('offline', ERROR_TEXT.offline));
        return;
      }
      socket.timeout(timeoutMs || ACK_TIMEOUT_MS).emit(event, payload, (err, res) => {
        if (err) {
          reject(new RequestError('timeout', ERROR_TEXT.timeout));
        } else if (!isObj(res) || res.ok !== true) {
          const code = isObj(res) && typeof res.error === 'string' ? res.error : 'bad_request';
          const serverMessage = isObj(res) && typeof res.message === 'string' ? res.message : '';
          const retryAfterMs = isObj(res) && typeof res.retryAfterMs === 'number' ? res.retryAfterMs : 0;
          reject(new RequestError(code, serverMessage || code, { serverMessage, retryAfterMs }));
        } else {
          resolve(res);
        }
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Users and avatars
  // ---------------------------------------------------------------------------------------------
  function validUser(u) { return isObj(u) && toId(u.id) !== null && typeof u.name === 'string'; }

  /** Merges what we learn about a user; `{id, name}` (message authors) never erases an avatar. */
  function mergeUser(u) {
    if (!validUser(u)) return null;
    const id = toId(u.id);
    let known = state.users.get(id);
    if (!known) {
      known = { id, name: u.name, avatar: null, avatarSmall: null };
      state.users.set(id, known);
    }
    const before = `${known.name}|${known.avatar}|${known.avatarSmall}`;
    known.name = u.name;
    if ('avatar' in u) known.avatar = typeof u.avatar === 'string' ? u.avatar : null;
    if ('avatarSmall' in u) known.avatarSmall = typeof u.avatarSmall === 'string' ? u.avatarSmall : null;
    if (`${known.name}|${known.avatar}|${known.avatarSmall}` !== before) scheduleRepaint(id);
    return known;
  }

  // Avatars already on screen follow any change we learn of (user:updated, presence, joins).
  const repaintIds = new Set();
  function scheduleRepaint(id) {
    if (repaintIds.size === 0) {
      queueMicrotask(() => {
        const ids = Array.from(repaintIds);
        repaintIds.clear();
        for (const uid of ids) {
          repaintAvatarsOf(uid);
          if (isMe(uid)) paintOwnAvatar();
        }
      });
    }
    repaintIds.add(id);
  }

  function userById(id, fallbackName) {
    return state.users.get(id) || { id, name: fallbackName || '?', avatar: null, avatarSmall: null };
  }

  function smallAvatarUrl(u) {
    return safeImageUrl(u && (u.avatarSmall || u.avatar));
  }

  /** Paints an avatar box: the user's 64 px image, or initials on a colour derived from the name. */
  function paintAvatar(box, user) {
    const url = smallAvatarUrl(user);
    const colourClass = `av-c${colourIndex(user && user.name)}`;
    for (let i = 0; i < AVATAR_COLOURS; i++) box.classList.remove(`av-c${i}`);
    const current = box.firstElementChild;
    if (url) {
      box.classList.remove('avatar-placeholder');
      if (current && current.tagName === 'IMG' && current.getAttribute('src') === url) return;
      const img = h('img', { src: url, alt: '', loading: 'lazy', decoding: 'async', draggable: 'false' });
      img.addEventListener('error', () => {
        // Broken image: fall back to the placeholder.
        if (img.parentNode === box) {
          box.replaceChildren(h('span', { class: 'avatar-initials', text: initialsOf(user.name) }));
          box.classList.add('avatar-placeholder', colourClass);
        }
      }, { once: true });
      box.replaceChildren(img);
    } else {
      box.classList.add('avatar-placeholder', colourClass);
      box.replaceChildren(h('span', { class: 'avatar-initials', text: initialsOf(user && user.name) }));
    }
  }

  function avatarNode(user, sizeClass) {
    const box = h('span', { class: `avatar ${sizeClass || ''}`.trim(), 'aria-hidden': 'true', 'data-user-id': user.id });
    paintAvatar(box, user);
    return box;
  }

  function repaintAvatarsOf(userId) {
    const user = state.users.get(userId);
    if (!user) return;
    for (const box of document.querySelectorAll(`.avatar[data-user-id="${CSS.escape(String(userId))}"]`)) {
      paintAvatar(box, user);
    }
  }

  function paintOwnAvatar() {
    const me = state.me;
    if (!me) return;
    const url = smallAvatarUrl(me);
    for (let i = 0; i < AVATAR_COLOURS; i++) ui.ownAvatarBox.classList.remove(`av-c${i}`);
    if (url) {
      ui.ownAvatar.src = url;
      ui.ownAvatar.hidden = false;
      ui.ownAvatarInitials.hidden = true;
      ui.ownAvatarBox.classList.remove('avatar-placeholder');
    } else {
      ui.ownAvatar.removeAttribute('src');
      showOwnInitials();
    }
  }

  function showOwnInitials() {
    const me = state.me;
    ui.ownAvatar.hidden = true;
    ui.ownAvatarInitials.hidden = false;
    ui.ownAvatarInitials.textContent = initialsOf(me ? me.name : '');
    ui.ownAvatarBox.classList.add('avatar-placeholder', `av-c${colourIndex(me ? me.name : '')}`);
  }

  function setMe(user) {
    const merged = mergeUser(user);
    if (!merged) return;
    state.me = merged;
    ui.meName.textContent = merged.name;
    paintOwnAvatar();
  }

  function isMe(userId) { return !!state.me && userId === state.me.id; }

  // ---------------------------------------------------------------------------------------------
  // Rooms
  // ---------------------------------------------------------------------------------------------
  function validRoom(r) { return isObj(r) && toId(r.id) !== null; }

  function roomDisplayName(room) {
    if (room.kind === 'direct') {
      if (room.peer) return room.peer.name;
      return room.name || 'Direct message';
    }
    return room.name || `room ${room.id}`;
  }

  function isMember(room) { return room.kind === 'direct' || room.joined; }

  /**
   * Creates or updates a room from a server Room. `initial` is true only for the first `ready`
   * after sign-in/page load: rooms whose read position we never stored start as read.
   */
  function upsertRoom(info, { initial = false, keepLastSeq = false } = {}) {
    if (!validRoom(info)) return null;
    const id = toId(info.id);
    const serverLastSeq = typeof info.lastSeq === 'number' ? info.lastSeq : 0;
    const peer = validUser(info.peer) ? mergeUser(info.peer) : null;
    let room = state.rooms.get(id);
    if (!room) {
      const stored = state.readMarks[id];
      const hasMark = typeof stored === 'number';
      const lastRead = hasMark ? stored : (initial ? serverLastSeq : 0);
      room = {
        id,
        kind: info.kind === 'direct' ? 'direct' : 'public',
        name: typeof info.name === 'string' ? info.name : '',
        peer,
        joined: info.kind === 'direct' ? true : info.joined !== false,
        lastSeq: serverLastSeq,
        messages: [],
        bySeq: new Map(),
        pending: [],
        loaded: false,
        loading: false,
        hasOlder: false,
        loadingOlder: false,
        online: [],
        lastRead,
        baseUnread: 0,
        baseSeq: serverLastSeq,
        unreadSeqs: new Set(),
      };
      if (isMember(room) && serverLastSeq > lastRead) room.baseUnread = serverLastSeq - lastRead;
      // The server may announce presence before `ready` lists the room.
      if (state.earlyPresence.has(id)) {
        room.online = state.earlyPresence.get(id);
        state.earlyPresence.delete(id);
      }
      state.rooms.set(id, room);
    } else {
      room.kind = info.kind === 'direct' ? 'direct' : 'public';
      if (typeof info.name === 'string') room.name = info.name;
      if (peer) room.peer = peer;
      if (room.kind === 'direct') room.joined = true;
      else if (typeof info.joined === 'boolean') room.joined = info.joined;
      if (!keepLastSeq && serverLastSeq > room.lastSeq) {
        // Messages we never saw individually (e.g. room not synced): count them as unread.
        if (isMember(room) && room.id !== state.currentRoomId) {
          room.baseUnread += serverLastSeq - Math.max(room.lastSeq, room.lastRead);
        }
        room.lastSeq = serverLastSeq;
        room.baseSeq = Math.max(room.baseSeq, serverLastSeq);
      }
    }
    return room;
  }

  function unreadOf(room) {
    if (room.id === state.currentRoomId || !isMember(room)) return 0;
    return Math.max(0, room.baseUnread) + room.unreadSeqs.size;
  }

  function markRead(room) {
    let top = room.lastSeq;
    if (room.messages.length) top = Math.max(top, room.messages[room.messages.length - 1].seq);
    room.baseUnread = 0;
    room.unreadSeqs.clear();
    if (top > room.lastRead) {
      room.lastRead = top;
      state.readMarks[room.id] = top;
      scheduleReadSave();
    }
  }

  function scheduleReadSave() {
    if (state.readSaveTimer || !state.me) return;
    state.readSaveTimer = setTimeout(() => {
      state.readSaveTimer = null;
      if (state.me) storeSet(`read:${state.me.id}`, state.readMarks);
    }, 500);
  }

  function refreshRoomsSoon() {
    if (state.roomsRefreshTimer) return;
    state.roomsRefreshTimer = setTimeout(async () => {
      state.roomsRefreshTimer = null;
      try {
        const r = await api('GET', '/api/rooms');
        if (r.status === 401) { sessionLost(); return; }
        if (r.ok && r.data && Array.isArray(r.data.rooms)) {
          for (const info of r.data.rooms) upsertRoom(info);
          renderRooms();
        }
      } catch (_) { /* the next ready will bring the list */ }
    }, 300);
  }

  // ---------------------------------------------------------------------------------------------
  // Messages: merging by (roomId, seq)
  // ---------------------------------------------------------------------------------------------
  function normaliseMessage(m) {
    if (!isObj(m)) return null;
    const roomId = toId(m.roomId);
    const seq = toId(m.seq);
    if (roomId === null || seq === null || typeof m.text !== 'string') return null;
    const author = isObj(m.author) ? m.author : {};
    const authorId = toId(author.id);
    return {
      id: m.id,
      roomId,
      seq,
      author: { id: authorId, name: typeof author.name === 'string' ? author.name : '?' },
      text: m.text,
      createdAt: validTime(m.createdAt),
      clientId: typeof m.clientId === 'string' ? m.clientId : null,
    };
  }

  function insertSorted(room, m) {
    const list = room.messages;
    if (!list.length || list[list.length - 1].seq < m.seq) {
      list.push(m);
      return;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].seq < m.seq) lo = mid + 1; else hi = mid;
    }
    list.splice(lo, 0, m);
  }

  /**
   * Takes messages of one room from any source (ack, live event, sync, history) and merges
   * them. Returns the messages that were new. Pending local copies are dropped by clientId.
   */
  function ingest(room, rawMessages, { live = false } = {}) {
    const added = [];
    const keep = room.loaded || room.loading;
    for (const raw of rawMessages) {
      const m = normaliseMessage(raw);
      if (!m || m.roomId !== room.id) continue;
      if (m.author.id !== null) mergeUser(m.author);
      if (m.clientId && room.pending.length) {
        const i = room.pending.findIndex((p) => p.clientId === m.clientId);
        if (i >= 0) room.pending.splice(i, 1);
      }
      if (m.seq > room.lastSeq) room.lastSeq = m.seq;
      const isNew = keep ? !room.bySeq.has(m.seq) : true;
      if (keep && isNew) {
        room.bySeq.set(m.seq, m);
        insertSorted(room, m);
      }
      if (isNew) added.push(m);
      // Unread accounting (a Set of seqs, so a message seen twice counts once).
      if (room.id !== state.currentRoomId && !isMe(m.author.id) && m.seq > room.lastRead && m.seq > room.baseSeq) {
        room.unreadSeqs.add(m.seq);
      }
      if (live && m.author.id !== null) clearTyping(room.id, m.author.id);
    }
    if (room.id === state.currentRoomId) markRead(room);
    return added;
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering: room list
  // ---------------------------------------------------------------------------------------------
  function roomButton(room) {
    let btn = state.roomButtons.get(room.id);
    if (!btn) {
      btn = h('button', {
        type: 'button',
        class: 'room-item',
        'data-testid': 'room-item',
        'data-room-id': room.id,
        onclick: () => { openRoom(room.id, { fromUser: true }); },
      });
      state.roomButtons.set(room.id, btn);
    }
    const unread = unreadOf(room);
    const name = roomDisplayName(room);
    btn.dataset.roomKind = room.kind;
    btn.dataset.joined = String(isMember(room));
    btn.classList.toggle('active', room.id === state.currentRoomId);
    btn.classList.toggle('has-unread', unread > 0);
    if (room.id === state.currentRoomId) btn.setAttribute('aria-current', 'page');
    else btn.removeAttribute('aria-current');
    let label = room.kind === 'direct' ? `Direct message with ${name}` : `Room ${name}`;
    if (!isMember(room)) label += ', not joined';
    if (unread > 0) label += `, ${unread} unread`;
    btn.setAttribute('aria-label', label);

    const icon = room.kind === 'direct' && room.peer
      ? avatarNode(room.peer, 'avatar-sm')
      : h('span', { class: 'room-hash', 'aria-hidden': 'true', text: room.kind === 'direct' ? '@' : '#' });
    const children = [icon, h('span', { class: 'room-name', dir: 'auto', text: name })];
    if (unread > 0) {
      children.push(h('span', { class: 'badge', 'data-testid': 'room-unread', 'aria-hidden': 'true', text: unread > 99 ? '99+' : String(unread) }));
    }
    btn.replaceChildren(...children);
    return btn;
  }

  function listItem(btn) {
    let li = btn.parentElement;
    if (!li || li.tagName !== 'LI') li = h('li', null, [btn]);
    return li;
  }

  function renderRooms() {
    const rooms = Array.from(state.rooms.values());
    const byName = (a, b) => roomDisplayName(a).localeCompare(roomDisplayName(b), undefined, { sensitivity: 'base' }) || a.id - b.id;
    const pub = rooms.filter((r) => r.kind === 'public' && r.joined).sort(byName);
    const dms = rooms.filter((r) => r.kind === 'direct').sort(byName);
    const other = rooms.filter((r) => r.kind === 'public' && !r.joined).sort(byName);

    // Forget buttons of rooms that no longer exist.
    for (const id of Array.from(state.roomButtons.keys())) {
      if (!state.rooms.has(id)) state.roomButtons.delete(id);
    }
    reconcile(ui.publicRoomList, pub.map((r) => listItem(roomButton(r))));
    reconcile(ui.directRoomList, dms.map((r) => listItem(roomButton(r))));
    reconcile(ui.otherRoomList, other.map((r) => listItem(roomButton(r))));
    show(ui.publicRoomsEmpty, pub.length === 0);
    show(ui.directRoomsEmpty, dms.length === 0);
    show(ui.otherRoomsSection, other.length > 0);

    const totalUnread = rooms.reduce((n, r) => n + unreadOf(r), 0);
    document.title = totalUnread > 0 ? `(${totalUnread}) chatd` : 'chatd';
    show(ui.roomsToggleBadge, totalUnread > 0);
    ui.roomsToggle.setAttribute('aria-label', totalUnread > 0 ? `Show rooms (${totalUnread} unread)` : 'Show rooms');
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering: room header, message list, typing, online list
  // ---------------------------------------------------------------------------------------------
  function currentRoom() {
    return state.currentRoomId === null ? null : state.rooms.get(state.currentRoomId) || null;
  }

  function renderHeader() {
    const room = currentRoom();
    if (!room) {
      ui.roomTitle.textContent = !state.everConnectedOnce ? 'chatd' : state.rooms.size ? 'Choose a room' : 'No room yet';
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

  function statusTextOf(p) {
    if (p.status === 'failed') return `Not sent: ${p.error || 'error'}`;
    if (p.status === 'sending') return 'Sending…';
    if (p.status === 'retrying') return p.error ? `${p.error} Retrying…` : 'Retrying…';
    return 'Waiting for connection…';
  }

  function appendLinkified(parent, text) {
    // http(s) only; everything else stays plain text.
    const re = /\bhttps?:\/\/[^\s<>"'`]+/giu;
    let last = 0;
    for (const match of text.matchAll(re)) {
      let url = match[0];
      const start = match.index;
      // Trailing punctuation belongs to the sentence, unbalanced ')' to the surrounding text.
      for (;;) {
        const before = url;
        url = url.replace(/[.,;:!?*]+$/u, '');
        if (url.endsWith(')') && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) url = url.slice(0, -1);
        if (url.endsWith(']') && !url.includes('[')) url = url.slice(0, -1);
        if (url === before) break;
      }
      let href = null;
      try {
        const u = new URL(url);
        if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname) href = u.href;
      } catch (_) { href = null; }
      if (!href) continue;
      if (start > last) parent.append(document.createTextNode(text.slice(last, start)));
      parent.append(h('a', { href, target: '_blank', rel: 'noopener noreferrer', text: url }));
      last = start + url.length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  function timeNode(ts) {
    const d = new Date(validTime(ts));
    return h('time', { class: 'msg-time', datetime: d.toISOString(), title: fullFmt.format(d), 'data-testid': 'message-time', text: timeFmt.format(d) });
  }

  function messageNode(m) {
    const key = `s:${m.seq}`;
    const cached = state.nodeCache.get(key);
    if (cached) return cached;
    const author = userById(m.author.id, m.author.name);
    const own = isMe(m.author.id);
    const text = h('div', { class: 'msg-text', dir: 'auto', 'data-testid': 'message-text' });
    appendLinkified(text, m.text);
    const node = h('div', {
      class: own ? 'msg own' : 'msg',
      'data-testid': 'message',
      'data-seq': m.seq,
      'data-room-id': m.roomId,
      'data-author-id': m.author.id === null ? '' : m.author.id,
      'data-own': own ? 'true' : null,
    }, [
      avatarNode({ ...author, name: author.name || m.author.name }, 'avatar-md'),
      h('div', { class: 'msg-body' }, [
        h('div', { class: 'msg-meta' }, [
          h('span', { class: 'msg-author', dir: 'auto', 'data-testid': 'message-author', text: m.author.name }),
          own ? h('span', { class: 'visually-hidden', text: ' (you)' }) : null,
          timeNode(m.createdAt),
        ]),
        text,
      ]),
    ]);
    state.nodeCache.set(key, node);
    return node;
  }

  function pendingNode(p) {
    const key = `p:${p.clientId}`;
    let node = state.nodeCache.get(key);
    if (!node) {
      const me = state.me || { id: null, name: '?' };
      const text = h('div', { class: 'msg-text', dir: 'auto', 'data-testid': 'message-text' });
      appendLinkified(text, p.text);
      const status = h('span', { class: 'msg-status', 'data-testid': 'message-status' });
      const actions = h('span', { class: 'msg-actions', hidden: true }, [
        h('button', { type: 'button', class: 'link-button', 'data-testid': 'message-retry', text: 'Retry', onclick: () => retryPending(p.roomId, p.clientId) }),
        h('button', { type: 'button', class: 'link-button', 'data-testid': 'message-discard', text: 'Discard', onclick: () => discardPending(p.roomId, p.clientId) }),
      ]);
      node = h('div', {
        class: 'msg own pending',
        'data-testid': 'message',
        'data-pending': 'true',
        'data-client-id': p.clientId,
        'data-room-id': p.roomId,
        'data-own': 'true',
      }, [
        avatarNode(userById(me.id, me.name), 'avatar-md'),
        h('div', { class: 'msg-body' }, [
          h('div', { class: 'msg-meta' }, [
            h('span', { class: 'msg-author', dir: 'auto', 'data-testid': 'message-author', text: me.name }),
            h('span', { class: 'visually-hidden', text: ' (you)' }),
            timeNode(p.createdAt),
          ]),
          text,
          h('div', { class: 'msg-foot' }, [status, actions]),
        ]),
      ]);
      node._status = status;
      node._actions = actions;
      state.nodeCache.set(key, node);
    }
    node.classList.toggle('failed', p.status === 'failed');
    if (p.status === 'failed') node.dataset.failed = 'true'; else delete node.dataset.failed;
    node._status.textContent = statusTextOf(p);
    node._actions.hidden = p.status !== 'failed';
    return node;
  }

  /** `firstKey` names the message that opens the day, so a day can appear twice if clocks disagree. */
  function daySeparator(ts, firstKey) {
    const key = `d:${dayKey(ts)}:${firstKey}`;
    let node = state.nodeCache.get(key);
    if (!node) {
      node = h('div', { class: 'day-separator', role: 'separator', 'data-testid': 'day-separator' }, [h('span', { class: 'day-label' })]);
      state.nodeCache.set(key, node);
    }
    const label = dayLabel(ts);
    node.firstElementChild.textContent = label;
    node.setAttribute('aria-label', label);
    return node;
  }

  /** While the list is refilled (room switch, first page, older page) the log stays quiet. */
  function setListBusy(busy) {
    if (busy) ui.messageList.setAttribute('aria-busy', 'true');
    else ui.messageList.removeAttribute('aria-busy');
  }

  function isNearBottom() {
    const s = ui.messagesScroll;
    return s.scrollHeight - s.scrollTop - s.clientHeight < AT_BOTTOM_PX;
  }

  /**
   * Renders the current room's messages. `mode`: 'follow' keeps following the bottom if the
   * user was there, 'bottom' forces it, 'keep' keeps the visible content still (load older).
   */
  function renderMessages(mode = 'follow') {
    const room = currentRoom();
    const s = ui.messagesScroll;
    const wasNearBottom = isNearBottom();
    const fromBottom = s.scrollHeight - s.scrollTop;

    if (!room) {
      reconcile(ui.messageList, []);
      state.nodeCache.clear();
      show(ui.loadOlderButton, false);
      ui.messagesEmpty.textContent = !state.everConnectedOnce
        ? 'Connecting…'
        : state.rooms.size
          ? 'Pick a room, or open a conversation.'
          : 'Create a room or message someone to start chatting.';
      show(ui.messagesEmpty, true);
      return;
    }

    const nodes = [];
    let lastDay = null;
    for (const m of room.messages) {
      const d = dayKey(m.createdAt);
      if (d !== lastDay) { nodes.push(daySeparator(m.createdAt, `s${m.seq}`)); lastDay = d; }
      nodes.push(messageNode(m));
    }
    for (const p of room.pending) {
      const d = dayKey(p.createdAt);
      if (d !== lastDay) { nodes.push(daySeparator(p.createdAt, `p${p.clientId}`)); lastDay = d; }
      nodes.push(pendingNode(p));
    }
    reconcile(ui.messageList, nodes);

    // Drop cached nodes that are no longer shown (acknowledged pendings, stale separators).
    const shown = new Set(nodes);
    for (const [k, n] of state.nodeCache) if (!shown.has(n)) state.nodeCache.delete(k);

    const empty = nodes.length === 0;
    if (empty) {
      ui.messagesEmpty.textContent = room.loaded || !connected()
        ? (room.loaded ? 'No messages yet. Say hello!' : 'Messages will appear when the connection is back.')
        : 'Loading messages…';
    }
    show(ui.messagesEmpty, empty);

    const canLoadOlder = room.loaded && room.hasOlder && room.messages.length > 0;
    show(ui.loadOlderButton, canLoadOlder);
    ui.loadOlderButton.disabled = room.loadingOlder;
    ui.loadOlderButton.textContent = room.loadingOlder ? 'Loading…' : 'Load older messages';

    if (mode === 'bottom' || (mode === 'follow' && wasNearBottom)) {
      s.scrollTop = s.scrollHeight;
    } else if (mode === 'keep') {
      s.scrollTop = s.scrollHeight - fromBottom;
    }
  }

  function renderTyping() {
    const room = currentRoom();
    const map = room ? state.typingIn.get(room.id) : null;
    const names = map ? Array.from(map.values()).map((t) => t.name) : [];
    let parts = [];
    if (names.length === 1) parts = [bdi(names[0]), ' is typing…'];
    else if (names.length === 2) parts = [bdi(names[0]), ' and ', bdi(names[1]), ' are typing…'];
    else if (names.length === 3) parts = [bdi(names[0]), ', ', bdi(names[1]), ' and ', bdi(names[2]), ' are typing…'];
    else if (names.length > 3) parts = ['Several people are typing…'];
    const text = parts.map((p) => (typeof p === 'string' ? p : p.textContent)).join('');
    if (ui.typingLine.textContent !== text) ui.typingLine.replaceChildren(...parts);
  }

  function onlineItem(user) {
    let li = state.onlineNodes.get(user.id);
    if (!li) {
      li = h('li', { class: 'online-item', 'data-testid': 'online-user' });
      state.onlineNodes.set(user.id, li);
    }
    li.dataset.userId = String(user.id);
    li.dataset.userName = user.name;
    const me = isMe(user.id);
    const content = [avatarNode(user, 'avatar-sm'), h('span', { class: 'online-name' }, [bdi(user.name), me ? ' (you)' : null])];
    if (me) {
      li.replaceChildren(h('span', { class: 'online-self' }, content));
    } else {
      li.replaceChildren(h('button', {
        type: 'button',
        class: 'online-button',
        'aria-label': `Message ${user.name}`,
        title: `Message ${isolated(user.name)}`,
        onclick: () => {
          openDm(user.name).catch((e) => flashNotice(`Could not open a conversation with ${isolated(user.name)}: ${dmErrorText(e, user.name)}`));
        },
      }, content));
    }
    return li;
  }

  function renderOnline() {
    const room = currentRoom();
    const users = room ? room.online.slice() : [];
    users.sort((a, b) => (isMe(b.id) - isMe(a.id)) || a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
    const focusedUserId = document.activeElement && ui.onlineList.contains(document.activeElement)
      ? document.activeElement.closest('li') && document.activeElement.closest('li').dataset.userId
      : null;
    const nodes = users.map(onlineItem);
    const alive = new Set(users.map((u) => u.id));
    for (const id of Array.from(state.onlineNodes.keys())) if (!alive.has(id)) state.onlineNodes.delete(id);
    reconcile(ui.onlineList, nodes);
    if (focusedUserId) {
      const again = ui.onlineList.querySelector(`li[data-user-id="${CSS.escape(focusedUserId)}"] button`);
      if (again) again.focus();
    }
    ui.onlineCount.textContent = room ? String(users.length) : '';
    ui.onlineToggleText.textContent = room ? `Online ${users.length}` : 'Online';
    ui.onlineEmpty.textContent = room ? 'Nobody is online here.' : 'Open a room to see who is here.';
    show(ui.onlineEmpty, users.length === 0);
  }

  function renderAll(mode) {
    renderRooms();
    renderHeader();
    renderMessages(mode);
    renderTyping();
    renderOnline();
  }

  // ---------------------------------------------------------------------------------------------
  // Opening rooms
  // ---------------------------------------------------------------------------------------------
  async function openRoom(id, { fromUser = false } = {}) {
    const room = state.rooms.get(id);
    if (!room) return;
    if (state.currentRoomId !== id) {
      stopTyping();
      state.currentRoomId = id;
      state.nodeCache.clear();
      setListBusy(true);
      ui.messageList.replaceChildren();
      storeSet(`room:${state.me ? state.me.id : 0}`, id);
      markRead(room);
      renderAll('bottom');
      // Reset the composer's height/counter for the new room (the text itself is kept).
      updateComposerState();
    }
    if (fromUser) {
      closeDrawers();
      if (window.matchMedia('(max-width: 720px)').matches) ui.composerInput.focus();
    }
    // Loaded rooms stay current through live events and presence; after a reconnect they are
    // marked stale and fetched again when opened.
    if (!room.loaded || room.stale) await enterRoom(room);
    else setListBusy(false);
    // Joining moves the room's button to another list, which drops its focus: keep typing flow.
    if (fromUser && state.currentRoomId === id && (document.activeElement === document.body || !document.activeElement)) {
      ui.composerInput.focus();
    }
  }

  /** Joins (if needed) and loads the latest page and the online list of a room. */
  async function enterRoom(room) {
    if (!connected() || room.loading) return;
    room.loading = true;
    const gen = state.connGen;
    try {
      let res;
      if (room.kind === 'direct' && room.peer) {
        try {
          res = await request('dm:open', { userName: room.peer.name });
        } catch (e) {
          if (e.code === 'offline' || e.code === 'timeout') throw e;
          res = await request('room:join', { roomId: room.id });
        }
      } else {
        res = await request('room:join', { roomId: room.id });
      }
      if (gen !== state.connGen) return;
      applyJoin(res);
    } catch (e) {
      if (gen === state.connGen && room.id === state.currentRoomId) {
        flashNotice(`Could not open this room: ${e.text}`);
      }
    } finally {
      room.loading = false;
      if (room.id === state.currentRoomId) setListBusy(false);
    }
  }

  /** Applies a room:join / dm:open ack: `{room, messages, online}`. Returns the room. */
  function applyJoin(res) {
    const room = upsertRoom(res.room);
    if (!room) return null;
    if (room.kind === 'public') room.joined = true;
    room.loading = true; // so ingest keeps the messages even if this is the first load
    const msgs = Array.isArray(res.messages) ? res.messages : [];
    const firstLoad = !room.loaded;
    ingest(room, msgs);
    room.loading = false;
    room.loaded = true;
    room.stale = false;
    if (firstLoad) {
      const oldest = room.messages.length ? room.messages[0].seq : 0;
      room.hasOlder = msgs.length >= PAGE && oldest > 1;
    }
    if (Array.isArray(res.online)) {
      room.online = res.online.map(mergeUser).filter(Boolean);
    }
    if (room.id === state.currentRoomId) {
      markRead(room);
      renderAll(firstLoad ? 'bottom' : 'follow');
    } else {
      renderRooms();
    }
    return room;
  }

  async function loadOlder() {
    const room = currentRoom();
    if (!room || room.loadingOlder || !room.messages.length) return;
    const beforeSeq = room.messages[0].seq;
    room.loadingOlder = true;
    setListBusy(true);
    renderMessages('keep');
    const gen = state.connGen;
    try {
      const res = await request('history', { roomId: room.id, beforeSeq, limit: PAGE });
      const msgs = Array.isArray(res.messages) ? res.messages : [];
      const added = ingest(room, msgs);
      const oldest = room.messages.length ? room.messages[0].seq : 0;
      if (msgs.length < PAGE || added.length === 0 || oldest >= beforeSeq || oldest <= 1) room.hasOlder = false;
    } catch (e) {
      if (gen === state.connGen) flashNotice(`Could not load older messages: ${e.text}`);
    } finally {
      room.loadingOlder = false;
      if (room.id === state.currentRoomId) renderMessages('keep');
      setListBusy(false);
      // Keep keyboard users in place: focus stays on the button, or moves to the list.
      if (ui.loadOlderButton.hidden && document.activeElement === document.body) ui.messageList.focus();
    }
  }

  async function createOrJoinRoom(name) {
    const res = await request('room:join', { name });
    const room = applyJoin(res);
    if (room) await openRoom(room.id, { fromUser: true });
  }

  async function openDm(userName) {
    const res = await request('dm:open', { userName });
    const room = applyJoin(res);
    if (room) await openRoom(room.id, { fromUser: true });
  }

  function dmErrorText(e, userName) {
    if (!(e instanceof RequestError)) return String(e);
    return e.code === 'not_found' ? `There is no user called “${isolated(userName)}”.` : e.text;
  }

  async function leaveCurrentRoom() {
    const room = currentRoom();
    if (!room || room.kind !== 'public' || !room.joined) return;
    try {
      await request('room:leave', { roomId: room.id });
    } catch (e) {
      flashNotice(`Could not leave the room: ${e.text}`);
      return;
    }
    room.joined = false;
    room.loaded = false;
    room.messages = [];
    room.bySeq = new Map();
    room.online = [];
    room.unreadSeqs.clear();
    room.baseUnread = 0;
    state.typingIn.delete(room.id);
    const next = pickDefaultRoom(room.id);
    state.currentRoomId = null;
    state.nodeCache.clear();
    if (next) openRoom(next.id);
    else renderAll('bottom');
    (isNarrow() ? ui.roomsToggle : ui.createRoomInput).focus();
  }

  function pickDefaultRoom(excludeId) {
    const members = Array.from(state.rooms.values()).filter((r) => isMember(r) && r.id !== excludeId);
    if (!members.length) return null;
    const general = members.find((r) => r.kind === 'public' && r.name === 'general');
    if (general) return general;
    const pub = members.filter((r) => r.kind === 'public').sort((a, b) => a.name.localeCompare(b.name));
    return pub[0] || members[0];
  }

  // ---------------------------------------------------------------------------------------------
  // Sending, the offline queue
  // ---------------------------------------------------------------------------------------------
  function normaliseOutgoing(raw) {
    // Leading blank lines and trailing whitespace are noise; inner layout is kept.
    return raw.replace(/^(?:[ \t]*\r?\n)+/u, '').replace(/\s+$/u, '');
  }

  function sendFromComposer() {
    const room = currentRoom();
    if (!room) return;
    const text = normaliseOutgoing(ui.composerInput.value);
    if (!text) return;
    if (charCount(text) > MAX_TEXT) {
      updateCounter();
      return;
    }
    const p = {
      clientId: newClientId(),
      roomId: room.id,
      text,
      createdAt: Date.now(),
      status: 'queued',
      error: null,
      inFlight: false,
      attempts: 0,
      retryTimer: null,
    };
    room.pending.push(p);
    ui.composerInput.value = '';
    autosize();
    updateCounter();
    stopTyping();
    renderMessages('bottom');
    ui.composerInput.focus();
    pump(room.id);
  }

  function findPending(roomId, clientId) {
    const room = state.rooms.get(roomId);
    if (!room) return null;
    return room.pending.find((p) => p.clientId === clientId) || null;
  }

  /**
   * Sends a room's pending messages one at a time, in the order they were written, so the
   * server stores them in that order. Failed ones are skipped (they wait for Retry/Discard).
   */
  function pump(roomId) {
    const room = state.rooms.get(roomId);
    if (!room) return;
    for (const p of room.pending) {
      if (p.status === 'failed') continue;
      if (p.inFlight || p.status === 'retrying') return; // wait for its ack or its retry timer
      if (!connected()) {
        if (p.status !== 'queued') { p.status = 'queued'; rerenderPending(p); }
        return;
      }
      sendOne(room, p);
      return;
    }
  }

  function sendOne(room, p) {
    p.inFlight = true;
    p.status = 'sending';
    p.attempts++;
    const attempt = p.attempts;
    rerenderPending(p);
    const gen = state.connGen;
    request('message:send', { roomId: p.roomId, text: p.text, clientId: p.clientId }).then((res) => {
      if (attempt === p.attempts) p.inFlight = false;
      const r = state.rooms.get(p.roomId);
      if (!r) return;
      const m = normaliseMessage(res.message);
      if (m && m.roomId === r.id) ingest(r, [res.message]);
      // Accepted: whatever the ack carried, the local copy is done.
      const i = r.pending.indexOf(p);
      if (i >= 0) r.pending.splice(i, 1);
      if (r.id === state.currentRoomId) renderMessages('follow');
      renderRooms();
      pump(r.id);
    }, (e) => {
      // A newer attempt (after a reconnect) owns the state now; this one is only a late echo.
      if (attempt !== p.attempts) return;
      p.inFlight = false;
      if (e.code === 'offline' || (e.code === 'timeout' && (!connected() || gen !== state.connGen))) {
        // The connection dropped: everything queued is resent on the next `ready`.
        p.status = 'queued';
        rerenderPending(p);
        return;
      }
      if (['timeout', 'rate_limited', 'overloaded', 'storage_unavailable'].includes(e.code)) {
        // Transient: retry with the same clientId (the server stores it once), backing off,
        // and never sooner than the server asked.
        p.status = 'retrying';
        p.error = e.code === 'timeout' ? '' : e.text;
        const delay = Math.max(e.retryAfterMs || 0, Math.min(30000, 1000 * 2 ** Math.min(p.attempts, 5)));
        clearTimeout(p.retryTimer);
        p.retryTimer = setTimeout(() => {
          p.retryTimer = null;
          if (p.status !== 'retrying') return;
          p.status = 'queued';
          pump(p.roomId);
        }, delay);
        rerenderPending(p);
        return;
      }
      p.status = 'failed';
      // The server's own words say why (e.g. "you are not a member of this room").
      p.error = e.serverMessage && !['invalid_text', 'rate_limited'].includes(e.code) ? e.serverMessage : e.text;
      rerenderPending(p);
      pump(p.roomId);
    });
  }

  function rerenderPending(p) {
    if (p.roomId === state.currentRoomId) renderMessages('follow');
  }

  /** On every `ready`: everything not refused is sent again, with its original clientId. */
  function flushPending() {
    for (const room of state.rooms.values()) {
      for (const p of room.pending) {
        if (p.status === 'failed') continue;
        clearTimeout(p.retryTimer);
        p.retryTimer = null;
        p.inFlight = false;
        p.status = 'queued';
      }
      pump(room.id);
    }
  }

  function retryPending(roomId, clientId) {
    const p = findPending(roomId, clientId);
    if (!p) return;
    p.status = 'queued';
    p.error = null;
    rerenderPending(p);
    pump(roomId);
  }

  function discardPending(roomId, clientId) {
    const room = state.rooms.get(roomId);
    if (!room) return;
    const i = room.pending.findIndex((p) => p.clientId === clientId);
    if (i >= 0) {
      clearTimeout(room.pending[i].retryTimer);
      room.pending.splice(i, 1);
    }
    if (room.id === state.currentRoomId) renderMessages('follow');
    ui.composerInput.focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Typing (outgoing and incoming)
  // ---------------------------------------------------------------------------------------------
  function emitTyping(roomId, typing) {
    if (!state.socket || !state.socket.connected || roomId === null) return;
    state.socket.emit('typing', { roomId, typing });
  }

  function onComposerKeystroke() {
    const room = currentRoom();
    if (!room || !isMember(room)) return;
    const t = state.typingOut;
    const now = Date.now();
    if (ui.composerInput.value.trim() === '') {
      stopTyping();
      return;
    }
    if (!t.active || t.roomId !== room.id || now - t.lastSent >= TYPING_THROTTLE_MS) {
      if (t.active && t.roomId !== room.id) emitTyping(t.roomId, false);
      emitTyping(room.id, true);
      t.active = true;
      t.roomId = room.id;
      t.lastSent = now;
    }
    clearTimeout(t.idleTimer);
    t.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    const t = state.typingOut;
    clearTimeout(t.idleTimer);
    t.idleTimer = null;
    if (t.active) emitTyping(t.roomId, false);
    t.active = false;
    t.lastSent = 0;
  }

  function setTyping(roomId, user, typing) {
    let map = state.typingIn.get(roomId);
    if (!map) { map = new Map(); state.typingIn.set(roomId, map); }
    const old = map.get(user.id);
    if (old) clearTimeout(old.timer);
    if (typing) {
      const timer = setTimeout(() => clearTyping(roomId, user.id), TYPING_EXPIRE_MS);
      map.set(user.id, { name: user.name, timer });
    } else {
      map.delete(user.id);
    }
    if (roomId === state.currentRoomId) renderTyping();
  }

  function clearTyping(roomId, userId) {
    const map = state.typingIn.get(roomId);
    if (!map || !map.has(userId)) return;
    clearTimeout(map.get(userId).timer);
    map.delete(userId);
    if (roomId === state.currentRoomId) renderTyping();
  }

  function clearAllTyping() {
    for (const map of state.typingIn.values()) for (const t of map.values()) clearTimeout(t.timer);
    state.typingIn.clear();
    renderTyping();
  }

  // ---------------------------------------------------------------------------------------------
  // Composer
  // ---------------------------------------------------------------------------------------------
  function autosize() {
    // CSSOM (not a style attribute), which the page's CSP allows.
    const ta = ui.composerInput;
    ta.style.height = 'auto';
    ta.style.height = `${Math.min(ta.scrollHeight + 2, Math.round(window.innerHeight * 0.4))}px`;
  }

  function updateCounter() {
    const n = charCount(ui.composerInput.value);
    const over = n > MAX_TEXT;
    const near = n >= COUNTER_FROM;
    ui.charCounter.hidden = !near;
    ui.charCounter.textContent = near ? (over ? `${n} / ${MAX_TEXT} — ${n - MAX_TEXT} too many` : `${n} / ${MAX_TEXT}`) : '';
    ui.charCounter.classList.toggle('over', over);
    ui.composerInput.setAttribute('aria-invalid', over ? 'true' : 'false');
    const room = currentRoom();
    ui.sendButton.disabled = !room || over || ui.composerInput.value.trim() === '';
  }

  function updateComposerState() {
    const room = currentRoom();
    ui.composerInput.disabled = !room;
    ui.composerInput.placeholder = room
      ? `Message ${room.kind === 'direct' ? roomDisplayName(room) : `#${roomDisplayName(room)}`}`
      : 'Open a room to write';
    updateCounter();
  }

  // ---------------------------------------------------------------------------------------------
  // Notices, form errors, drawers
  // ---------------------------------------------------------------------------------------------
  let noticeTimer = null;
  function flashNotice(text) {
    ui.notice.textContent = text;
    show(ui.notice, true);
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { show(ui.notice, false); }, 8000);
  }

  function showFormError(elm, text) {
    elm.textContent = text;
    show(elm, !!text);
  }

  function isNarrow() { return window.matchMedia('(max-width: 720px)').matches; }

  function setDrawer(open) {
    ui.sidebar.classList.toggle('open', open);
    ui.roomsToggle.setAttribute('aria-expanded', String(open));
    updateScrim();
    if (open) {
      const target = ui.sidebar.querySelector('.room-item.active') || ui.sidebar.querySelector('.room-item') || ui.createRoomInput;
      setTimeout(() => target.focus(), 0);
    }
  }

  function setOnlinePanel(open) {
    ui.onlinePanel.classList.toggle('open', open);
    ui.onlineToggle.setAttribute('aria-expanded', String(open));
    updateScrim();
    if (open) setTimeout(() => (ui.onlineList.querySelector('button') || ui.onlineClose).focus(), 0);
  }

  function updateScrim() {
    const any = ui.sidebar.classList.contains('open') || ui.onlinePanel.classList.contains('open');
    show(ui.scrim, any);
  }

  function closeDrawers() {
    const wasSidebar = ui.sidebar.classList.contains('open');
    const wasOnline = ui.onlinePanel.classList.contains('open');
    ui.sidebar.classList.remove('open');
    ui.onlinePanel.classList.remove('open');
    ui.roomsToggle.setAttribute('aria-expanded', 'false');
    ui.onlineToggle.setAttribute('aria-expanded', 'false');
    updateScrim();
    return { wasSidebar, wasOnline };
  }

  // ---------------------------------------------------------------------------------------------
  // Connection banner
  // ---------------------------------------------------------------------------------------------
  function setBanner(text) {
    if (text) {
      ui.banner.textContent = text;
      ui.banner.hidden = false;
    } else {
      ui.banner.hidden = true;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Socket.IO
  // ---------------------------------------------------------------------------------------------
  function connectSocket() {
    if (typeof window.io !== 'function') {
      setBanner('The chat client could not be loaded (/socket.io.min.js). Reload the page to try again.');
      return;
    }
    const socket = window.io({ withCredentials: true });
    state.socket = socket;
    state.connectTimer = setTimeout(() => { if (!socket.connected) setBanner('Connecting…'); }, 1500);

    socket.on('connect', () => {
      clearTimeout(state.connectTimer);
      setBanner(null);
    });

    socket.on('disconnect', (reason) => {
      if (state.socket !== socket) return;
      state.everReady = false;
      setBanner('Reconnecting…');
      // Acks of in-flight sends are lost with the connection: they go again on the next ready.
      for (const room of state.rooms.values()) {
        for (const p of room.pending) {
          p.inFlight = false;
          if (p.status !== 'failed') p.status = 'queued';
        }
      }
      state.typingOut.active = false;
      clearAllTyping();
      renderMessages('follow');
      if (reason === 'io server disconnect') {
        // The server closed us on purpose (session deleted?): socket.io will not retry by itself.
        checkSessionThenReconnect(socket);
      }
    });

    socket.on('connect_error', (err) => {
      if (state.socket !== socket) return;
      clearTimeout(state.connectTimer);
      const msg = err && typeof err.message === 'string' ? err.message : '';
      if (msg === 'unauthorized' || (err && err.data && err.data.error === 'unauthorized')) {
        checkSessionThenReconnect(socket);
        return;
      }
      setBanner('Reconnecting…');
      if (!socket.active) {
        // Refused by the server (not a network error): socket.io does not retry those itself.
        clearTimeout(state.retryTimer);
        state.retryTimer = setTimeout(() => { if (state.socket === socket && !socket.connected) socket.connect(); }, 3000 + Math.random() * 2000);
      }
    });

    socket.on('ready', (payload) => { if (state.socket === socket) onReady(payload); });
    socket.on('message', (m) => { if (state.socket === socket) onLiveMessage(m); });
    socket.on('presence', (p) => { if (state.socket === socket) onPresence(p); });
    socket.on('typing', (t) => { if (state.socket === socket) onTyping(t); });
    socket.on('user:updated', (u) => { if (state.socket === socket) onUserUpdated(u); });
    socket.on('room:added', (r) => { if (state.socket === socket) onRoomAdded(r); });
    socket.on('resync', () => { if (state.socket === socket) onResync(); });
  }

  async function checkSessionThenReconnect(socket) {
    setBanner('Reconnecting…');
    let r = null;
    try { r = await api('GET', '/api/me'); } catch (_) { r = null; }
    if (state.socket !== socket) return;
    if (r && r.status === 401) {
      sessionLost();
      return;
    }
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => {
      if (state.socket === socket && !socket.connected) socket.connect();
    }, r ? 2000 : 3000);
  }

  function onReady(payload) {
    if (!isObj(payload)) return;
    const first = !state.everConnectedOnce;
    state.everConnectedOnce = true;
    state.everReady = true;
    state.connGen++;
    setBanner(null);
    if (validUser(payload.user)) setMe(payload.user);

    const seen = new Map();
    for (const [id, room] of state.rooms) seen.set(id, room.lastSeq);

    const infos = Array.isArray(payload.rooms) ? payload.rooms.filter(validRoom) : [];
    const present = new Set();
    const serverLast = new Map();
    for (const info of infos) {
      const id = toId(info.id);
      present.add(id);
      serverLast.set(id, typeof info.lastSeq === 'number' ? info.lastSeq : 0);
      // Existing rooms keep their own lastSeq until sync has told us what we missed.
      upsertRoom(info, { initial: first, keepLastSeq: seen.has(id) });
    }
    // Rooms of ours that went away (left in another tab): forget them unless messages wait.
    // Public rooms we are not in are kept: `ready` may list only the user's own rooms.
    for (const [id, room] of Array.from(state.rooms)) {
      if (!present.has(id) && isMember(room) && room.pending.length === 0) {
        if (room.kind === 'public') { room.joined = false; room.loaded = false; room.messages = []; room.bySeq = new Map(); }
        else state.rooms.delete(id);
      }
    }
    // GET /api/rooms also lists the public rooms the user has not joined.
    refreshRoomsSoon();

    if (first) {
      const storedId = toId(storeGet(`room:${state.me ? state.me.id : 0}`, null));
      const stored = storedId !== null ? state.rooms.get(storedId) : null;
      const target = stored && isMember(stored) ? stored : pickDefaultRoom(null);
      renderAll('bottom');
      if (target) openRoom(target.id);
    } else {
      if (state.currentRoomId !== null && !state.rooms.has(state.currentRoomId)) {
        state.currentRoomId = null;
        state.nodeCache.clear();
      }
      for (const room of state.rooms.values()) room.stale = true;
      renderAll('follow');
      syncAfterReconnect(seen, serverLast);
      const room = currentRoom();
      if (room) enterRoom(room);
    }
    flushPending();
  }

  /** Asks for everything after the last seq seen per room, repeating while pages come back full. */
  async function syncAfterReconnect(seen, serverLast) {
    const gen = state.connGen;
    let want = {};
    for (const [id, lastSeq] of seen) {
      const room = state.rooms.get(id);
      if (!room || !isMember(room)) continue;
      // A loaded room resumes after its newest stored message; others after the last seq seen.
      want[id] = room.loaded && room.messages.length ? room.messages[room.messages.length - 1].seq : lastSeq;
    }
    let timeouts = 0;
    for (let round = 0; round < 20 && Object.keys(want).length; round++) {
      let res;
      try {
        res = await request('sync', { rooms: want });
      } catch (e) {
        if (gen !== state.connGen || !connected()) return;
        if (e.code === 'timeout' && ++timeouts <= 3) {
          round--;
          await new Promise((r) => setTimeout(r, 2000));
          if (gen !== state.connGen || !connected()) return;
          continue;
        }
        break;
      }
      if (gen !== state.connGen) return;
      const next = {};
      const byRoom = isObj(res.messages) ? res.messages : {};
      // `more` lists rooms the answer could not cover (it keeps within a byte budget): ask
      // again from the newest seq received, or from where we were for rooms not reached.
      const more = isObj(res.more) ? res.more : {};
      for (const [key, list] of Object.entries(byRoom)) {
        const room = state.rooms.get(toId(key));
        if (!room || !Array.isArray(list) || !list.length) continue;
        ingest(room, list);
        if (list.length >= SYNC_LIMIT || more[key] === true) {
          const last = normaliseMessage(list[list.length - 1]);
          if (last) next[room.id] = last.seq;
        }
      }
      for (const key of Object.keys(more)) {
        const id = toId(key);
        if (more[key] === true && !(id in next) && id in want) next[id] = want[id];
      }
      want = next;
    }
    if (gen !== state.connGen) return;
    // Whatever sync could not cover (it failed or a room was capped) is still counted as unread.
    for (const [id, last] of serverLast) {
      const room = state.rooms.get(id);
      if (!room || last <= room.lastSeq) continue;
      if (room.id !== state.currentRoomId && isMember(room)) room.baseUnread += last - Math.max(room.lastSeq, room.lastRead);
      room.lastSeq = last;
      room.baseSeq = Math.max(room.baseSeq, last);
    }
    renderRooms();
    if (currentRoom()) renderMessages('follow');
  }

  function onLiveMessage(raw) {
    const m = normaliseMessage(raw);
    if (!m) return;
    const room = state.rooms.get(m.roomId);
    if (!room) {
      refreshRoomsSoon();
      return;
    }
    // With several replicas a message can overtake another, or be missed during a broker
    // outage: a seq jump in a loaded room means something is missing; fetch it by seq.
    const newest = room.loaded && room.messages.length ? room.messages[room.messages.length - 1].seq : null;
    ingest(room, [raw], { live: true });
    if (newest !== null && m.seq > newest + 1) fillGapSoon(room.id, newest);
    if (room.id === state.currentRoomId) renderMessages(isMe(m.author.id) ? 'bottom' : 'follow');
    renderRooms();
  }

  const gapTimers = new Map();  // roomId -> timer: one gap fill at a time per room
  function fillGapSoon(roomId, afterSeq) {
    if (gapTimers.has(roomId)) return;
    // A short wait lets an overtaken message arrive by itself first.
    gapTimers.set(roomId, setTimeout(async () => {
      gapTimers.delete(roomId);
      const room = state.rooms.get(roomId);
      if (!room || !connected()) return;
      const missing = room.messages.some((msg, i) => i > 0 && msg.seq > afterSeq && msg.seq !== room.messages[i - 1].seq + 1);
      if (!missing) return;
      try {
        const res = await request('sync', { rooms: { [roomId]: afterSeq } });
        const list = isObj(res.messages) && Array.isArray(res.messages[roomId]) ? res.messages[roomId] : [];
        if (list.length) ingest(room, list);
        renderRooms();
        if (room.id === state.currentRoomId) renderMessages('follow');
      } catch (e) {
        // The next reconnect or `resync` catches up.
      }
    }, 300));
  }

  /** The server says messages may have been missed (its broker connection came back). */
  function onResync() {
    const seen = new Map();
    for (const [id, room] of state.rooms) seen.set(id, room.lastSeq);
    syncAfterReconnect(seen, new Map());
  }

  function onPresence(p) {
    if (!isObj(p)) return;
    const roomId = toId(p.roomId);
    if (roomId === null || !Array.isArray(p.online)) return;
    const online = p.online.map(mergeUser).filter(Boolean);
    const room = state.rooms.get(roomId);
    if (!room) {
      state.earlyPresence.set(roomId, online);
      return;
    }
    room.online = online;
    if (room.id === state.currentRoomId) renderOnline();
  }

  function onTyping(t) {
    if (!isObj(t) || !validUser(t.user)) return;
    const roomId = toId(t.roomId);
    const user = { id: toId(t.user.id), name: t.user.name };
    if (roomId === null || isMe(user.id)) return;
    setTyping(roomId, user, t.typing === true);
  }

  function onUserUpdated(u) {
    const user = mergeUser(u);
    if (!user) return;
    if (isMe(user.id)) paintOwnAvatar();
    repaintAvatarsOf(user.id);
    // Names in lists may also have changed.
    renderRooms();
    renderOnline();
  }

  function onRoomAdded(info) {
    if (!validRoom(info)) return;
    upsertRoom(info);
    renderRooms();
  }

  // ---------------------------------------------------------------------------------------------
  // Session: sign in, sign out, start, stop
  // ---------------------------------------------------------------------------------------------
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
    state = newState();
    setMe(user);
    state.readMarks = storeGet(`read:${state.me.id}`, {}) || {};
    showView('app');
    showFormError(ui.avatarError, '');
    ui.avatarStatus.textContent = '';
    renderAll('bottom');
    connectSocket();
  }

  function teardown() {
    const s = state;
    clearTimeout(s.connectTimer);
    clearTimeout(s.retryTimer);
    clearTimeout(s.roomsRefreshTimer);
    clearTimeout(s.typingOut.idleTimer);
    if (s.readSaveTimer) {
      clearTimeout(s.readSaveTimer);
      if (s.me) storeSet(`read:${s.me.id}`, s.readMarks);
    }
    for (const map of s.typingIn.values()) for (const t of map.values()) clearTimeout(t.timer);
    for (const room of s.rooms.values()) for (const p of room.pending) clearTimeout(p.retryTimer);
    if (s.socket) {
      s.socket.removeAllListeners();
      s.socket.disconnect();
    }
    state = newState();
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
    ui.signinPassword.value = '';
    document.title = 'chatd';
  }

  function sessionLost() {
    teardown();
    showSignin(ERROR_TEXT.unauthorized);
  }

  async function signIn(ev) {
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
      const r = await api('POST', '/api/session', { name, password });
      if ((r.status === 200 || r.status === 201) && r.data && validUser(r.data.user)) {
        ui.signinPassword.value = '';
        startApp(r.data.user);
        if (r.status === 201) {
          ui.avatarStatus.textContent = 'Account created';
          setTimeout(() => { if (ui.avatarStatus.textContent === 'Account created') ui.avatarStatus.textContent = ''; }, 6000);
        }
        return;
      }
      const err = httpError(r, r.status === 401 ? 'bad_credentials' : r.status === 429 ? 'rate_limited' : 'bad_request');
      let text = err.text;
      if (err.code === 'rate_limited') {
        const after = parseInt(r.headers.get('Retry-After') || '', 10);
        if (Number.isFinite(after) && after > 0) text = `Too many attempts. Please try again in ${after} second${after === 1 ? '' : 's'}.`;
      }
      showFormError(ui.signinError, text);
      if (err.code === 'bad_credentials' || err.code === 'invalid_password') {
        ui.signinPassword.select();
        ui.signinPassword.focus();
      } else if (err.code === 'invalid_name') {
        ui.signinName.focus();
      }
    } catch (e) {
      showFormError(ui.signinError, e instanceof RequestError ? e.text : ERROR_TEXT.network);
    } finally {
      ui.signinSubmit.disabled = false;
      ui.signinSubmit.textContent = 'Sign in';
    }
  }

  // everywhere: every session of the account ends (DELETE /api/sessions), on all devices.
  async function signOut(everywhere = false) {
    if (state.signingOut) return;
    state.signingOut = true;
    ui.signoutButton.disabled = true;
    ui.signoutAllButton.disabled = true;
    stopTyping();
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

  // ---------------------------------------------------------------------------------------------
  // Avatar upload
  // ---------------------------------------------------------------------------------------------
  async function uploadAvatar() {
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
      if (r.status === 401) { sessionLost(); return; }
      if (r.ok && r.data && validUser(r.data.user)) {
        setMe(r.data.user);
        repaintAvatarsOf(state.me.id);
        renderOnline();
        ui.avatarStatus.textContent = 'Avatar updated';
        setTimeout(() => { if (ui.avatarStatus.textContent === 'Avatar updated') ui.avatarStatus.textContent = ''; }, 4000);
      } else {
        const code = r.status === 413 ? 'too_large' : r.status === 415 ? 'unsupported_type' : 'bad_upload';
        const err = httpError(r, code);
        // For uploads our own wording is clearer than a generic server message.
        showFormError(ui.avatarError, ERROR_TEXT[err.code] ? ERROR_TEXT[err.code] : err.text);
        ui.avatarStatus.textContent = '';
      }
    } catch (e) {
      showFormError(ui.avatarError, e instanceof RequestError ? e.text : ERROR_TEXT.network);
      ui.avatarStatus.textContent = '';
    } finally {
      ui.ownAvatarBox.classList.remove('busy');
      ui.avatarInput.value = '';
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------------------------------
  function bind() {
    ui.signinForm.addEventListener('submit', signIn);
    ui.signoutButton.addEventListener('click', () => signOut(false));
    ui.signoutAllButton.addEventListener('click', () => signOut(true));
    ui.avatarInput.addEventListener('change', uploadAvatar);
    // A broken image falls back to the initials.
    ui.ownAvatar.addEventListener('error', () => { if (ui.ownAvatar.getAttribute('src')) showOwnInitials(); });

    ui.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      sendFromComposer();
    });
    ui.composerInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        sendFromComposer();
      }
    });
    ui.composerInput.addEventListener('input', () => {
      autosize();
      updateCounter();
      onComposerKeystroke();
    });

    ui.loadOlderButton.addEventListener('click', loadOlder);
    ui.leaveRoomButton.addEventListener('click', leaveCurrentRoom);

    ui.createRoomForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = ui.createRoomInput.value.trim();
      if (!name) { showFormError(ui.createRoomError, 'Enter a room name.'); ui.createRoomInput.focus(); return; }
      showFormError(ui.createRoomError, '');
      ui.createRoomButton.disabled = true;
      try {
        await createOrJoinRoom(name);
        ui.createRoomInput.value = '';
      } catch (err) {
        showFormError(ui.createRoomError, err instanceof RequestError ? err.text : String(err));
        ui.createRoomInput.focus();
      } finally {
        ui.createRoomButton.disabled = false;
      }
    });
    ui.createRoomInput.addEventListener('input', () => showFormError(ui.createRoomError, ''));

    ui.dmForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = ui.dmInput.value.trim();
      if (!name) { showFormError(ui.dmError, 'Enter a user name.'); ui.dmInput.focus(); return; }
      showFormError(ui.dmError, '');
      ui.dmButton.disabled = true;
      try {
        await openDm(name);
        ui.dmInput.value = '';
      } catch (err) {
        showFormError(ui.dmError, dmErrorText(err, name));
        ui.dmInput.focus();
      } finally {
        ui.dmButton.disabled = false;
      }
    });
    ui.dmInput.addEventListener('input', () => showFormError(ui.dmError, ''));

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

    // The current room is read while it is visible; refresh day labels after midnight.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') {
        const room = currentRoom();
        if (room) { markRead(room); renderRooms(); renderMessages('follow'); }
      }
    });
    window.addEventListener('pagehide', () => {
      if (state.me && state.readSaveTimer) storeSet(`read:${state.me.id}`, state.readMarks);
    });
  }

  async function boot() {
    bind();
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

  boot();
})();
