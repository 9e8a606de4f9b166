/*
 * Message formatting (issue #13): a small markdown subset, rendered as DOM nodes. The stored
 * text stays raw; this is display only.
 *
 *   **bold**   *italic* / _italic_   ~~strike~~   `code`   ``` fenced code ```   > quote
 *   [text](https://…)   bare http(s) URLs   @name   @[name with spaces]   @room
 *
 * Why hand-written rather than a library: a markdown library (marked, markdown-it) plus
 * DOMPurify to clean the HTML it produces would be roughly ten times the code of this subset,
 * and this UI has no build step, so they would have to be vendored. The subset is small, and the
 * renderer builds the DOM only with createElement / createTextNode / setAttribute from a fixed
 * list of element and attribute names: message text is never parsed as HTML, so markup in a
 * message cannot become elements or event handlers at all (nothing has to be filtered out).
 * The one value taken from the text into an attribute is a link's URL, and only when it parses
 * as http(s) with a plain host name (safeHref).
 *
 * parseMarkdown(text) → { type: 'root', children } of plain objects (no DOM; unit-tested in
 * Node, tests/web/markdown.test.mjs). Blocks: paragraph { children }, quote { children: blocks },
 * codeblock { lang: string|null, text }. Inlines: text { text }, strong / em / strike
 * { children }, code { text }, link { href, children, auto? }, mention { name, text }.
 * A paragraph has no element of its own: its inlines go straight into the container, whose
 * `white-space: pre-wrap` (.msg-text) keeps the line breaks; a paragraph followed by a block
 * keeps the line break before it, so blank lines around blocks stay visible.
 * renderMarkdown(text, doc) → a DocumentFragment of those nodes.
 *
 * Rules (CommonMark / GitHub where they apply):
 * - Markers that are not closed render literally. No backslash escapes, no HTML, no character
 *   references: "&#106;avascript:" or "<b>" is shown as typed.
 * - Precedence: code spans, then links, then bare URLs and mentions, then emphasis. Nothing
 *   inside a code span, a fenced block or a URL is formatted.
 * - *x* and **x** also inside words; _x_ and __x__ only at word boundaries, so
 *   snake_case_names stay plain (CommonMark's flanking rules).
 * - [text](url) needs an http:// or https:// URL without spaces; any other scheme
 *   (javascript:, data:, …), a relative or protocol-relative URL renders the whole [text](url)
 *   as plain text. Bare URLs: trailing . , ; : ! ? * _ ~ and an unbalanced ) or ] stay outside
 *   (in linear time: the linkSegments this replaced trimmed in quadratic time on a long run
 *   of ")").
 * - Fences: a line of 3+ backticks (an optional language word after it, kept as class
 *   "language-x" when it is [a-z0-9+-]{1,20}) up to a line of at least as many backticks;
 *   unclosed, the lines are ordinary text. Quotes: lines starting with "> " (or a lone ">").
 * - Mentions: "@" at the start of a word, then a name of letters, digits, marks, _ . - (at
 *   most 32 characters, a trailing "." is punctuation), or @[any name] for names with spaces.
 *
 * Bounded work: no regular expression here can backtrack more than linearly, and every pass is
 * linear in the text (code spans and brackets are matched with precomputed tables, emphasis is
 * CommonMark's delimiter algorithm with its "openers bottom" bound). Quotes nest at most
 * MAX_DEPTH deep and inline formatting at most MAX_DEPTH deep; deeper markers stay literal text.
 * Texts over MAX_INPUT UTF-16 units (far over the server's 4000 characters) are shown plain.
 */

export const MAX_DEPTH = 8;
export const MAX_INPUT = 16384;
const MAX_MENTION = 32; // code points; the server's name limit

/** Element names the renderer can create (the only ones). */
export const MARKDOWN_ELEMENTS = Object.freeze(['a', 'blockquote', 'code', 'em', 'pre', 's', 'span', 'strong']);

const LANG_RE = /^[a-z0-9+-]{1,20}$/;
const FENCE_OPEN_RE = /^ {0,3}(`{3,})([^`]*)$/;
const FENCE_CLOSE_RE = /^ {0,3}(`{3,})[ \t]*$/;
const URL_RE = /(?<![\p{L}\p{N}\p{M}])https?:\/\/[^\s<>"'`]+/giu;
const LETTER_RE = /[\p{L}\p{N}\p{M}]/u;
const URL_BAD_RE = /[\s\p{Cc}\p{Cf}]/u;
const HREF_BAD_RE = /[\s\p{Cc}\p{Cf}<>"`\\]/u;
const HOST_RE = /^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])$/;
const NAME_RE = /[\p{L}\p{N}\p{M}_.-]{1,64}/uy;
const NOT_MENTION_AFTER_RE = /[\p{L}\p{N}\p{M}@.\/:=+&?#%\\-]/u;
const WHITESPACE_RE = /\s/u;
const PUNCT_RE = /[\p{P}\p{S}]/u;

// ---------------------------------------------------------------------------------------------
// URLs

/**
 * The href for a link to `raw`, or null: only an absolute http(s) URL with a host name (or an
 * IP address), without spaces, control or format characters, < > " ` or \ (none belongs in a
 * URL as typed; refused, the text shows what was sent); the result is the URL parser's
 * normalised form.
 */
export function safeHref(raw) {
  if (typeof raw !== 'string' || !/^https?:\/\//i.test(raw) || HREF_BAD_RE.test(raw)) return null;
  let u;
  try {
    u = new URL(raw);
  } catch (_) {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (!u.hostname || !HOST_RE.test(u.hostname)) return null;
  return u.href;
}

/** How much of a bare URL match is the URL: trailing sentence punctuation stays outside. */
function urlLength(url) {
  let open = 0;
  let close = 0;
  for (let i = 0; i < url.length; i++) {
    if (url[i] === '(') open++;
    else if (url[i] === ')') close++;
  }
  const hasOpenBracket = url.includes('[');
  let end = url.length;
  while (end > 0) {
    const c = url[end - 1];
    if ('.,;:!?*_~'.includes(c)) end--;
    else if (c === ')' && open < close) { close--; end--; }
    else if (c === ']' && !hasOpenBracket) end--;
    else break;
  }
  return end;
}

// ---------------------------------------------------------------------------------------------
// Blocks

/** The tree of `text` (see the header). */
export function parseMarkdown(text) {
  const src = String(text ?? '').replace(/\r\n?/g, '\n');
  if (src.length > MAX_INPUT) return { type: 'root', children: [{ type: 'paragraph', children: [{ type: 'text', text: src }] }] };
  return { type: 'root', children: parseBlocks(src.split('\n'), 0) };
}

function fenceLanguage(info) {
  const lang = info.trim().toLowerCase();
  return LANG_RE.test(lang) ? lang : null;
}

const isQuoteLine = (line) => line[0] === '>' && (line.length === 1 || line[1] === ' ');

function parseBlocks(lines, quoteDepth) {
  const blocks = [];
  let para = [];
  const flush = (beforeBlock) => {
    if (para.length === 0) return;
    const text = para.join('\n') + (beforeBlock ? '\n' : '');
    para = [];
    if (text) blocks.push({ type: 'paragraph', children: parseInline(text, MAX_DEPTH, false) });
  };
  // Fences of this many backticks or more have no closing line further down (a failed search
  // is not repeated: each one lowers this, so there are few of them).
  let unclosedFrom = Infinity;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const open = FENCE_OPEN_RE.exec(line);
    if (open && open[1].length < unclosedFrom) {
      const n = open[1].length;
      let j = i + 1;
      for (; j < lines.length; j++) {
        const close = FENCE_CLOSE_RE.exec(lines[j]);
        if (close && close[1].length >= n) break;
      }
      if (j < lines.length) {
        flush(true);
        blocks.push({ type: 'codeblock', lang: fenceLanguage(open[2]), text: lines.slice(i + 1, j).join('\n') });
        i = j;
        continue;
      }
      unclosedFrom = n;
    }
    if (quoteDepth < MAX_DEPTH && isQuoteLine(line)) {
      const inner = [];
      let j = i;
      for (; j < lines.length && isQuoteLine(lines[j]); j++) inner.push(lines[j].slice(2));
      flush(true);
      blocks.push({ type: 'quote', children: parseBlocks(inner, quoteDepth + 1) });
      i = j - 1;
      continue;
    }
    para.push(line);
  }
  flush(false);
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Inlines

/** Code spans of `s`: start → { end, text } (a backtick run up to the next run as long). */
function codeSpans(s) {
  const runs = [];
  for (let i = 0; i < s.length;) {
    if (s[i] !== '`') { i++; continue; }
    let j = i;
    while (s[j] === '`') j++;
    runs.push([i, j - i]);
    i = j;
  }
  const next = new Int32Array(runs.length);
  const lastOfLength = new Map();
  for (let r = runs.length - 1; r >= 0; r--) {
    next[r] = lastOfLength.get(runs[r][1]) ?? -1;
    lastOfLength.set(runs[r][1], r);
  }
  const spans = new Map();
  for (let r = 0; r < runs.length;) {
    const m = next[r];
    if (m < 0) { r++; continue; }
    const [start, len] = runs[r];
    let text = s.slice(start + len, runs[m][0]);
    // As CommonMark: one space each side is padding, so `` `x` `` can show backticks.
    if (text.length >= 2 && text[0] === ' ' && text[text.length - 1] === ' ' && text.trim()) text = text.slice(1, -1);
    spans.set(start, { end: runs[m][0] + len, text });
    r = m + 1;
  }
  return spans;
}

/** For each [ and ( outside code spans, the index of its matching ] or ) (else -1). */
function matchPairs(s, spans) {
  const close = new Int32Array(s.length).fill(-1);
  const squares = [];
  const parens = [];
  for (let i = 0; i < s.length; i++) {
    const span = spans.get(i);
    if (span) { i = span.end - 1; continue; }
    const c = s[i];
    if (c === '[') squares.push(i);
    else if (c === ']') { if (squares.length) close[squares.pop()] = i; }
    else if (c === '(') parens.push(i);
    else if (c === ')') { if (parens.length) close[parens.pop()] = i; }
  }
  return close;
}

const textNode = (text) => ({ type: 'text', text });

/**
 * The inlines of `s`, elements at most `budget` deep. Inside a link's text (`inLink`) there
 * are no links, bare URLs or mentions.
 */
function parseInline(s, budget, inLink) {
  const spans = codeSpans(s);
  const close = inLink ? null : matchPairs(s, spans);
  let badBefore = null; // badBefore[i]: characters not allowed in a URL in s[0, i)
  const tokens = [];

  const urlHasBad = (a, b) => {
    if (!badBefore) {
      badBefore = new Int32Array(s.length + 1);
      for (let i = 0; i < s.length; i++) badBefore[i + 1] = badBefore[i] + (URL_BAD_RE.test(s[i]) ? 1 : 0);
    }
    return badBefore[b] - badBefore[a] > 0;
  };

  const mentionAt = (i, end) => {
    if (i > 0 && NOT_MENTION_AFTER_RE.test(s[i - 1])) return null;
    if (s[i + 1] === '[') {
      const limit = Math.min(end, i + 2 + 2 * MAX_MENTION + 1);
      for (let j = i + 2; j < limit; j++) {
        const c = s[j];
        if (c === ']') {
          const name = s.slice(i + 2, j).trim();
          if (!name || charCount(name) > MAX_MENTION || URL_BAD_RE.test(name.replace(/ /g, ''))) return null;
          return { end: j + 1, node: { type: 'mention', name, text: `@${name}` } };
        }
        if (c === '[' || c === '`' || c === '\n') return null;
      }
      return null;
    }
    NAME_RE.lastIndex = i + 1;
    const m = NAME_RE.exec(s);
    if (!m) return null;
    let name = m[0];
    if (i + 1 + name.length > end) name = name.slice(0, end - i - 1);
    name = name.replace(/\.+$/u, '');
    if (!name || charCount(name) > MAX_MENTION || nameContinues(s, i + 1 + m[0].length)) return null;
    return { end: i + 1 + name.length, node: { type: 'mention', name, text: `@${name}` } };
  };

  // Plain text s[a, b): mentions and emphasis delimiter runs.
  const plainText = (a, b) => {
    let t = a;
    for (let i = a; i < b;) {
      const c = s[i];
      if (c === '*' || c === '_' || c === '~') {
        let j = i;
        while (j < b && s[j] === c) j++;
        if (c !== '~' || j - i === 2) {
          if (t < i) tokens.push({ node: textNode(s.slice(t, i)), depth: 0 });
          tokens.push(delimiter(s, c, i, j));
          t = j;
        }
        i = j;
        continue;
      }
      if (c === '@' && !inLink) {
        const m = mentionAt(i, b);
        if (m) {
          if (t < i) tokens.push({ node: textNode(s.slice(t, i)), depth: 0 });
          tokens.push({ node: m.node, depth: 1 });
          i = t = m.end;
          continue;
        }
      }
      i++;
    }
    if (t < b) tokens.push({ node: textNode(s.slice(t, b)), depth: 0 });
  };

  // s[a, b) outside code spans and links: bare URLs, then plainText around them.
  const plain = (a, b) => {
    if (a >= b) return;
    if (inLink) { plainText(a, b); return; }
    const part = s.slice(a, b);
    let last = 0;
    for (const match of part.matchAll(URL_RE)) {
      if (match.index === 0 && a > 0 && LETTER_RE.test(s[a - 1])) continue; // inside a word
      const url = match[0].slice(0, urlLength(match[0]));
      const href = safeHref(url);
      if (!href) continue;
      plainText(a + last, a + match.index);
      tokens.push({ node: { type: 'link', href, auto: true, children: [textNode(url)] }, depth: 1 });
      last = match.index + url.length;
    }
    plainText(a + last, b);
  };

  const linkAt = (i) => {
    const j = close[i];
    if (j < 0 || s[j + 1] !== '(' || close[j + 1] < 0) return null;
    if (i > 0 && s[i - 1] === '@' && mentionAt(i - 1, s.length)) return null; // @[name]
    const k = close[j + 1];
    if (k === j + 2 || urlHasBad(j + 2, k)) return null;
    const label = s.slice(i + 1, j);
    const href = safeHref(s.slice(j + 2, k));
    if (!href || !label.trim()) return { end: k + 1, token: { node: textNode(s.slice(i, k + 1)), depth: 0 } };
    const children = parseInline(label, budget - 1, true);
    return { end: k + 1, token: { node: { type: 'link', href, children }, depth: 1 + depthOf(children) } };
  };

  let plainFrom = 0;
  for (let i = 0; i < s.length;) {
    const span = spans.get(i);
    if (span) {
      plain(plainFrom, i);
      tokens.push({ node: { type: 'code', text: span.text }, depth: 1 });
      i = plainFrom = span.end;
      continue;
    }
    if (s[i] === '[' && !inLink) {
      const link = linkAt(i);
      if (link) {
        plain(plainFrom, i);
        tokens.push(link.token);
        i = plainFrom = link.end;
        continue;
      }
    }
    i++;
  }
  plain(plainFrom, s.length);
  return finish(emphasis(tokens, budget));
}

function nameContinues(s, i) {
  if (i >= s.length) return false;
  NAME_RE.lastIndex = i;
  return NAME_RE.test(s);
}

function charCount(s) {
  let n = 0;
  for (const _ of s) n++; // eslint-disable-line no-unused-vars
  return n;
}

/** A run of `c` at s[i, j) as an emphasis delimiter (CommonMark's flanking rules). */
function delimiter(s, c, i, j) {
  const before = i > 0 ? s[i - 1] : ' ';
  const after = j < s.length ? s[j] : ' ';
  const wsBefore = WHITESPACE_RE.test(before);
  const wsAfter = WHITESPACE_RE.test(after);
  const punctBefore = PUNCT_RE.test(before);
  const punctAfter = PUNCT_RE.test(after);
  const left = !wsAfter && (!punctAfter || wsBefore || punctBefore);
  const right = !wsBefore && (!punctBefore || wsAfter || punctAfter);
  const intraword = c === '_';
  return {
    delim: c,
    count: j - i,
    canOpen: intraword ? left && (!right || punctBefore) : left,
    canClose: intraword ? right && (!left || punctAfter) : right,
    depth: 0,
  };
}

/** How deep the elements of `nodes` (finished: no groups) nest; a text is 0 deep. */
function depthOf(nodes) {
  let d = 0;
  for (const n of nodes) if (n.type !== 'text') d = Math.max(d, 1 + (n.children ? depthOf(n.children) : 0));
  return d;
}

/**
 * Pairs delimiter runs into strong / em / strike (CommonMark's "process emphasis" without the
 * rule of 3): for each closer, the nearest opener of the same character; a failed search sets
 * that character's bottom so it is never walked again. A pair that would nest deeper than
 * `budget` is kept as literal markers around its content (a transparent group).
 */
function emphasis(tokens, budget) {
  // A doubly linked list of tokens; delimiters also linked among themselves.
  let first = null;
  let prev = null;
  let prevDelim = null;
  let firstDelim = null;
  let pos = 0;
  for (const t of tokens) {
    t.prev = prev;
    t.next = null;
    if (prev) prev.next = t; else first = t;
    prev = t;
    if (t.delim) {
      t.pos = pos++;
      t.prevD = prevDelim;
      t.nextD = null;
      if (prevDelim) prevDelim.nextD = t; else firstDelim = t;
      prevDelim = t;
    }
  }
  const unlinkDelim = (d) => {
    if (d.prevD) d.prevD.nextD = d.nextD; else firstDelim = d.nextD;
    if (d.nextD) d.nextD.prevD = d.prevD;
  };
  const remove = (t) => {
    if (t.prev) t.prev.next = t.next; else first = t.next;
    if (t.next) t.next.prev = t.prev;
  };
  const bottom = { '*': -1, _: -1, '~': -1 };
  let closer = firstDelim;
  while (closer) {
    if (!closer.canClose) { closer = closer.nextD; continue; }
    let opener = closer.prevD;
    while (opener && opener.pos > bottom[closer.delim] && !(opener.delim === closer.delim && opener.canOpen)) opener = opener.prevD;
    if (!opener || opener.pos <= bottom[closer.delim]) {
      bottom[closer.delim] = closer.prevD ? closer.prevD.pos : -1;
      const next = closer.nextD;
      if (!closer.canOpen) unlinkDelim(closer);
      closer = next;
      continue;
    }
    const use = closer.delim === '~' ? 2 : closer.count >= 2 && opener.count >= 2 ? 2 : 1;
    const children = [];
    let depth = 0;
    for (let t = opener.next; t !== closer; t = t.next) {
      children.push(t.delim ? textNode(t.delim.repeat(t.count)) : t.node);
      depth = Math.max(depth, t.depth);
    }
    let wrapped;
    if (depth + 1 <= budget) {
      const type = closer.delim === '~' ? 'strike' : use === 2 ? 'strong' : 'em';
      wrapped = { node: { type, children }, depth: depth + 1 };
    } else {
      const marker = textNode(closer.delim.repeat(use));
      wrapped = { node: { type: 'group', children: [marker, ...children, marker] }, depth };
    }
    opener.next = wrapped;
    wrapped.prev = opener;
    wrapped.next = closer;
    closer.prev = wrapped;
    opener.nextD = closer; // the delimiters in between are text now
    closer.prevD = opener;
    opener.count -= use;
    closer.count -= use;
    if (opener.count === 0) { unlinkDelim(opener); remove(opener); }
    if (closer.count === 0) {
      const next = closer.nextD;
      unlinkDelim(closer);
      remove(closer);
      closer = next;
    }
  }
  const out = [];
  for (let t = first; t; t = t.next) out.push(t.delim ? textNode(t.delim.repeat(t.count)) : t.node);
  return out;
}

/** Groups spliced into their parent (iteratively: they can nest deeply), texts merged. */
function finish(nodes) {
  const out = [];
  const stack = [[nodes, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top[1] >= top[0].length) { stack.pop(); continue; }
    const n = top[0][top[1]++];
    if (n.type === 'group') { stack.push([n.children, 0]); continue; }
    if (n.type === 'text') {
      if (!n.text) continue;
      const last = out[out.length - 1];
      if (last && last.type === 'text') out[out.length - 1] = textNode(last.text + n.text);
      else out.push(n);
      continue;
    }
    if (n.children && n.type !== 'link') n.children = finish(n.children);
    out.push(n);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// DOM

/**
 * `text` as a DocumentFragment for a container with `white-space: pre-wrap` (.msg-text), built
 * only with createElement (MARKDOWN_ELEMENTS), createTextNode and setAttribute (href, target,
 * rel, class, data-mention).
 */
export function renderMarkdown(text, doc = globalThis.document) {
  const fragment = doc.createDocumentFragment();
  appendAll(doc, fragment, parseMarkdown(text).children);
  return fragment;
}

function appendAll(doc, parent, nodes) {
  for (const n of nodes) append(doc, parent, n);
}

function child(doc, parent, name) {
  const e = doc.createElement(name);
  parent.appendChild(e);
  return e;
}

function append(doc, parent, n) {
  switch (n.type) {
    case 'text':
      parent.appendChild(doc.createTextNode(n.text));
      break;
    case 'paragraph':
      appendAll(doc, parent, n.children);
      break;
    case 'quote':
      appendAll(doc, child(doc, parent, 'blockquote'), n.children);
      break;
    case 'codeblock': {
      const code = child(doc, child(doc, parent, 'pre'), 'code');
      if (typeof n.lang === 'string' && LANG_RE.test(n.lang)) code.setAttribute('class', `language-${n.lang}`);
      code.appendChild(doc.createTextNode(n.text));
      break;
    }
    case 'code':
      child(doc, parent, 'code').appendChild(doc.createTextNode(n.text));
      break;
    case 'strong':
    case 'em':
      appendAll(doc, child(doc, parent, n.type), n.children);
      break;
    case 'strike':
      appendAll(doc, child(doc, parent, 's'), n.children);
      break;
    case 'link': {
      const href = safeHref(n.href); // checked again: the tree may not come from parseMarkdown
      if (!href) { appendAll(doc, parent, n.children); break; }
      const a = child(doc, parent, 'a');
      a.setAttribute('href', href);
      a.setAttribute('target', '_blank');
      a.setAttribute('rel', 'noopener noreferrer');
      appendAll(doc, a, n.children);
      break;
    }
    case 'mention': {
      const span = child(doc, parent, 'span');
      span.setAttribute('class', 'mention');
      span.setAttribute('data-mention', String(n.name));
      span.appendChild(doc.createTextNode(String(n.text)));
      break;
    }
    default:
      break; // nothing else is ever rendered
  }
}
