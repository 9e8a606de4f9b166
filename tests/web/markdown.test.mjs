// Unit tests of web/markdown.js: the message formatting subset (issue #13), without a browser.
// parseMarkdown's tree is checked directly; renderMarkdown runs against a small fake document
// that records every call, so the tests also see that nothing but createElement (allowlisted
// names), createTextNode and setAttribute (allowlisted names) is used.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MARKDOWN_ELEMENTS, MAX_DEPTH, parseMarkdown, renderMarkdown, safeHref } from "../../web/markdown.js";

const t = (text) => ({ type: "text", text });
const para = (...children) => ({ type: "paragraph", children });
/** The inlines of a one-paragraph message. */
const inl = (text) => {
  const blocks = parseMarkdown(text).children;
  assert.equal(blocks.length, 1, `one block: ${JSON.stringify(blocks)}`);
  assert.equal(blocks[0].type, "paragraph");
  return blocks[0].children;
};

/** The text a reader sees (markers gone), blocks separated by "|". */
function seen(nodes) {
  return nodes.map((n) => {
    if (n.type === "text" || n.type === "code" || n.type === "mention") return n.text;
    if (n.type === "codeblock") return `|${n.text}|`;
    if (n.type === "quote") return `|${seen(n.children)}|`;
    return seen(n.children);
  }).join("");
}
const seenOf = (text) => seen(parseMarkdown(text).children);

/** Every node of the tree, depth first. */
function* walk(nodes) {
  for (const n of nodes) {
    yield n;
    if (n.children) yield* walk(n.children);
  }
}
const links = (text) => [...walk(parseMarkdown(text).children)].filter((n) => n.type === "link");

/** How deep elements nest (a paragraph counts 0). */
function depth(nodes, type) {
  let d = 0;
  for (const n of nodes) {
    const own = n.type === "text" || n.type === "paragraph" ? 0 : type && n.type !== type ? 0 : 1;
    d = Math.max(d, own + (n.children ? depth(n.children, type) : 0));
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// A fake document: enough DOM for renderMarkdown, and a record of what was called.

class FakeNode {
  constructor(doc) { this.doc = doc; this.childNodes = []; }
  appendChild(c) { this.childNodes.push(c); return c; }
  append() { throw new Error("append() is not used"); }
  set innerHTML(_) { throw new Error("innerHTML set"); }
  set outerHTML(_) { throw new Error("outerHTML set"); }
  insertAdjacentHTML() { throw new Error("insertAdjacentHTML called"); }
}
class FakeElement extends FakeNode {
  constructor(doc, name) { super(doc); this.name = name; this.attrs = []; }
  setAttribute(k, v) { this.doc.calls.push(`setAttribute ${k}`); this.attrs.push([k, String(v)]); }
}
class FakeText { constructor(text) { this.text = text; } }
class FakeDocument {
  constructor() { this.calls = []; }
  createDocumentFragment() { this.calls.push("createDocumentFragment"); return new FakeNode(this); }
  createElement(name) { this.calls.push(`createElement ${name}`); return new FakeElement(this, name); }
  createTextNode(text) { this.calls.push("createTextNode"); return new FakeText(text); }
  write() { throw new Error("document.write called"); }
}
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
function html(node) {
  if (node instanceof FakeText) return esc(node.text);
  const inner = node.childNodes.map(html).join("");
  if (!(node instanceof FakeElement)) return inner;
  const attrs = node.attrs.map(([k, v]) => ` ${k}="${esc(v)}"`).join("");
  return `<${node.name}${attrs}>${inner}</${node.name}>`;
}
const ATTRIBUTES = new Set(["href", "target", "rel", "class", "data-mention"]);
function textContent(node) {
  return node instanceof FakeText ? node.text : node.childNodes.map(textContent).join("");
}
function render(text, { withText = false } = {}) {
  const doc = new FakeDocument();
  const fragment = renderMarkdown(text, doc);
  const out = html(fragment);
  for (const call of doc.calls) {
    const [what, name] = call.split(" ");
    if (what === "createElement") assert.ok(MARKDOWN_ELEMENTS.includes(name), `element ${name}`);
    else if (what === "setAttribute") assert.ok(ATTRIBUTES.has(name), `attribute ${name}`);
    else assert.ok(what === "createTextNode" || what === "createDocumentFragment", call);
  }
  return withText ? { out, text: textContent(fragment) } : out;
}

// ---------------------------------------------------------------------------------------------
// Constructs

test("plain text and line breaks stay as they are", () => {
  assert.deepEqual(parseMarkdown("").children, []);
  assert.deepEqual(inl("hello\n  world\n\nbye"), [t("hello\n  world\n\nbye")]);
  assert.deepEqual(inl("a\r\nb"), [t("a\nb")]);
  assert.deepEqual(inl("<b>hi</b> &amp; &#106;"), [t("<b>hi</b> &amp; &#106;")], "no HTML, no character references");
  assert.deepEqual(inl("2 * 3 * 4 and a * b"), [t("2 * 3 * 4 and a * b")]);
  assert.deepEqual(inl("C:\\path\\*"), [t("C:\\path\\*")], "no backslash escapes");
});

test("bold, italic, strike", () => {
  assert.deepEqual(inl("**bold**"), [{ type: "strong", children: [t("bold")] }]);
  assert.deepEqual(inl("__bold__"), [{ type: "strong", children: [t("bold")] }]);
  assert.deepEqual(inl("a *it* b"), [t("a "), { type: "em", children: [t("it")] }, t(" b")]);
  assert.deepEqual(inl("a _it_ b"), [t("a "), { type: "em", children: [t("it")] }, t(" b")]);
  assert.deepEqual(inl("~~gone~~"), [{ type: "strike", children: [t("gone")] }]);
  assert.deepEqual(inl("un*frigging*believable"), [t("un"), { type: "em", children: [t("frigging")] }, t("believable")], "* inside a word");
  assert.deepEqual(inl("***both***"), [{ type: "em", children: [{ type: "strong", children: [t("both")] }] }]);
  assert.deepEqual(inl("~single~ ~~~three~~~"), [t("~single~ ~~~three~~~")], "only ~~ strikes");
  assert.deepEqual(inl("** not bold **"), [t("** not bold **")], "markers must touch the text");
});

test("_ only at word boundaries: snake_case_names stay plain", () => {
  assert.deepEqual(inl("snake_case_names and my_var_"), [t("snake_case_names and my_var_")]);
  assert.deepEqual(inl("call do_this_now() _really_"), [t("call do_this_now() "), { type: "em", children: [t("really")] }]);
  assert.deepEqual(inl("(_x_)"), [t("("), { type: "em", children: [t("x")] }, t(")")]);
  assert.deepEqual(inl("2*3*4"), [t("2"), { type: "em", children: [t("3")] }, t("4")], "* does work inside words (CommonMark)");
});

test("inline code: nothing inside is formatted", () => {
  assert.deepEqual(inl("run `npm ci` now"), [t("run "), { type: "code", text: "npm ci" }, t(" now")]);
  assert.deepEqual(inl("`**a** _b_ [x](http://y.z) http://z.org @bob <i>`"), [{ type: "code", text: "**a** _b_ [x](http://y.z) http://z.org @bob <i>" }]);
  assert.deepEqual(inl("``a ` b``"), [{ type: "code", text: "a ` b" }], "a longer run holds a backtick");
  assert.deepEqual(inl("`` `x` ``"), [{ type: "code", text: "`x`" }], "one padding space each side");
  assert.deepEqual(inl("**a `b**` c**"), [{ type: "strong", children: [t("a "), { type: "code", text: "b**" }, t(" c")] }], "code binds tighter than emphasis");
  assert.deepEqual(inl("[a `](` b](http://x.org)"), [{ type: "link", href: "http://x.org/", children: [t("a "), { type: "code", text: "](" }, t(" b")] }], "brackets inside code do not count");
});

test("fenced code blocks", () => {
  assert.deepEqual(parseMarkdown("```\nlet a = *1*;\n  [x](http://y.z)\n```").children, [
    { type: "codeblock", lang: null, text: "let a = *1*;\n  [x](http://y.z)" },
  ]);
  assert.deepEqual(parseMarkdown("```JS\nx\n```").children, [{ type: "codeblock", lang: "js", text: "x" }]);
  assert.deepEqual(parseMarkdown("``` c++ \nx\n```").children, [{ type: "codeblock", lang: "c++", text: "x" }]);
  for (const info of ['js"><script>', "a b", "x".repeat(21), "é", "js;"]) {
    assert.equal(parseMarkdown("```" + info + "\nx\n```").children[0].lang, null, info);
  }
  assert.deepEqual(parseMarkdown("````\n```\ninner\n```\n````").children, [{ type: "codeblock", lang: null, text: "```\ninner\n```" }], "a longer fence holds a shorter one");
  assert.deepEqual(parseMarkdown("```\n```").children, [{ type: "codeblock", lang: null, text: "" }]);
  // Text around a block keeps its line breaks (the container is white-space: pre-wrap).
  assert.deepEqual(parseMarkdown("before\n```\ncode\n```\nafter").children, [
    para(t("before\n")), { type: "codeblock", lang: null, text: "code" }, para(t("after")),
  ]);
  assert.deepEqual(parseMarkdown("before\n\n```\ncode\n```\n\nafter").children, [
    para(t("before\n\n")), { type: "codeblock", lang: null, text: "code" }, para(t("\nafter")),
  ], "blank lines around a block stay");
  assert.equal(render("```js\n<b>&</b>\n```"), '<pre><code class="language-js">&lt;b&gt;&amp;&lt;/b&gt;</code></pre>');
});

test("block quotes", () => {
  assert.deepEqual(parseMarkdown("> said\n> twice\nreply").children, [
    { type: "quote", children: [para(t("said\ntwice"))] }, para(t("reply")),
  ]);
  assert.deepEqual(parseMarkdown("> **a**\n>\n> > inner\n> ```\n> code\n> ```").children, [
    { type: "quote", children: [
      para({ type: "strong", children: [t("a")] }, t("\n\n")),
      { type: "quote", children: [para(t("inner"))] },
      { type: "codeblock", lang: null, text: "code" },
    ] },
  ]);
  assert.deepEqual(inl(">no space, >_< and a > b"), [t(">no space, >_< and a > b")]);
  assert.equal(render("> hi\nyo"), "<blockquote>hi</blockquote>yo");
});

test("links [text](url): http(s) only, text formatted, target _blank rel noopener", () => {
  assert.deepEqual(inl("see [the **docs**](https://example.com/a?b=1#c) now"), [
    t("see "), { type: "link", href: "https://example.com/a?b=1#c", children: [t("the "), { type: "strong", children: [t("docs")] }] }, t(" now"),
  ]);
  assert.deepEqual(inl("[wiki](https://en.wikipedia.org/wiki/Foo_(bar))."), [
    { type: "link", href: "https://en.wikipedia.org/wiki/Foo_(bar)", children: [t("wiki")] }, t("."),
  ]);
  assert.deepEqual(inl("[see [1]](HTTP://EXAMPLE.COM)"), [{ type: "link", href: "http://example.com/", children: [t("see [1]")] }]);
  assert.deepEqual(inl("[http://a.org @bob [x](http://b.org)](http://c.org)"), [
    { type: "link", href: "http://c.org/", children: [t("http://a.org @bob [x](http://b.org)")] },
  ], "no links, bare URLs or mentions inside link text");
  assert.deepEqual(inl("**[a](http://x.org)**"), [{ type: "strong", children: [{ type: "link", href: "http://x.org/", children: [t("a")] }] }]);
  assert.equal(render("[a](http://x.org/?q=%3C1%3E&b='c')"), '<a href="http://x.org/?q=%3C1%3E&amp;b=%27c%27" target="_blank" rel="noopener noreferrer">a</a>');
  // Not links: the text stays as typed.
  for (const text of ["[a] (http://x.org)", "[a](http://x.org", "[a](http://x.org/a b)", "[a]()", "[](http://x.org)", "[ ](http://x.org)"]) {
    assert.equal(seenOf(text).replace(/http:\/\/x\.org/, ""), text.replace(/http:\/\/x\.org/, ""), text);
    assert.ok(links(text).every((l) => l.auto), `${text}: no [text](url) link`);
  }
});

test("link schemes other than http(s) render the whole [text](url) as plain text", () => {
  const refused = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "javascript:alert(document.cookie)//http://x.org",
    "java\tscript:alert(1)", "java\nscript:alert(1)", "java\u0000script:alert(1)", "\u0001javascript:alert(1)",
    " javascript:alert(1)", "javascript\u200b:alert(1)", "&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)",
    "javascript&colon;alert(1)", "data:text/html,<script>alert(1)</script>", "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)", "file:///etc/passwd", "ftp://x.org/", "mailto:a@b.org", "//evil.example", "/relative",
    "relative/path", "#frag", "?q=1", "http:/x.org", "https:x.org", "http://", "https://", "http:// x.org",
    "http://x.org\u202e/gpj.exe", "http://a\"onmouseover=\"alert(1)", "http://<svg>", "http://[::1",
    'http://x.org/"><svg/onload=alert(1)>', "http://x.org/<script>", "http://x.org\\@evil.example", "http://x.org/`",
  ];
  for (const url of refused) {
    const text = `[click](${url})`;
    assert.equal(seenOf(text), text, `${JSON.stringify(url)}: shown as typed`);
    assert.deepEqual(links(text).filter((l) => !l.auto), [], `${JSON.stringify(url)}: no link`);
    for (const l of links(text)) assert.match(l.href, /^https?:\/\//, "a bare URL inside is still only http(s)");
  }
  for (const url of refused) assert.equal(safeHref(url), null, JSON.stringify(url));
  assert.equal(safeHref("https://x.org"), "https://x.org/");
  assert.equal(safeHref("http://127.0.0.1:8080/a"), "http://127.0.0.1:8080/a");
  assert.equal(safeHref("http://[::1]/"), "http://[::1]/");
  assert.equal(safeHref("https://bücher.example/ä"), "https://xn--bcher-kva.example/%C3%A4");
  assert.equal(safeHref(null), null);
});

test("bare URLs: http(s), trailing punctuation outside, balanced parentheses inside", () => {
  const auto = (text, href) => ({ type: "link", href, auto: true, children: [t(text)] });
  assert.deepEqual(inl("see https://example.com/a?b=1, ok"), [t("see "), auto("https://example.com/a?b=1", "https://example.com/a?b=1"), t(", ok")]);
  assert.deepEqual(inl("(http://x.org/wiki/Foo_(bar))."), [t("("), auto("http://x.org/wiki/Foo_(bar)", "http://x.org/wiki/Foo_(bar)"), t(").")]);
  assert.deepEqual(inl("http://x.org/a_b_c! http://x.org?"), [auto("http://x.org/a_b_c", "http://x.org/a_b_c"), t("! "), auto("http://x.org", "http://x.org/"), t("?")]);
  assert.deepEqual(inl("**https://x.org/a**"), [{ type: "strong", children: [auto("https://x.org/a", "https://x.org/a")] }]);
  assert.deepEqual(inl("_https://x.org/a_b_ ~~http://y.org~~"), [
    { type: "em", children: [auto("https://x.org/a_b", "https://x.org/a_b")] }, t(" "),
    { type: "strike", children: [auto("http://y.org", "http://y.org/")] },
  ]);
  assert.deepEqual(inl("HTTPS://X.ORG/A"), [auto("HTTPS://X.ORG/A", "https://x.org/A")]);
  assert.deepEqual(inl('<http://x.org/"a">'), [t("<"), auto("http://x.org/", "http://x.org/"), t('"a">')]);
  for (const text of ["xhttp://x.org", "javascript:alert(1)", "ftp://x.org", "http://", "www.example.com"]) {
    assert.deepEqual(links(text), [], text);
  }
  assert.deepEqual(inl("http://x.org/*a*"), [auto("http://x.org/*a", "http://x.org/*a"), t("*")], "nothing inside a URL is formatted");
});

test("mentions: @name, @[name with spaces], @room", () => {
  const m = (name) => ({ type: "mention", name, text: `@${name}` });
  assert.deepEqual(inl("hi @bob, @room."), [t("hi "), m("bob"), t(", "), m("room"), t(".")]);
  assert.deepEqual(inl("@[bob smith] and @[  ann  ]!"), [m("bob smith"), t(" and "), m("ann"), t("!")]);
  assert.deepEqual(inl("@jean-luc.picard_2 @Zoë @\u05de\u05e8\u05d9\u05dd"), [m("jean-luc.picard_2"), t(" "), m("Zoë"), t(" "), m("\u05de\u05e8\u05d9\u05dd")]);
  assert.deepEqual(inl("(@bob) **@ann**"), [t("("), m("bob"), t(") "), { type: "strong", children: [m("ann")] }]);
  for (const text of ["mail a@b.org", "@", "@ bob", "@[]", "@[a[b]", "@[a\nb]", "x@bob", "@@bob", "http://x.org/@bob", `@${"a".repeat(33)}`, `@[${"a".repeat(33)}]`]) {
    assert.ok(![...walk(parseMarkdown(text).children)].some((n) => n.type === "mention"), `${JSON.stringify(text)}: no mention`);
    assert.equal(seenOf(text), text);
  }
  assert.deepEqual(inl(`@${"a".repeat(32)}`), [m("a".repeat(32))]);
  assert.deepEqual(inl("`@bob`"), [{ type: "code", text: "@bob" }]);
  assert.equal(render('@[<img src=x onerror="alert(1)">]'), '<span class="mention" data-mention="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;">@&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</span>');
});

test("unclosed markers render literally", () => {
  for (const text of ["**bold", "*it", "_it", "~~gone", "`code", "a ** b", "[a", "[a](", "[a](http://x.org", "@[bob"]) {
    assert.equal(seenOf(text), text, text);
  }
  assert.deepEqual(inl("**a*"), [t("*"), { type: "em", children: [t("a")] }]);
  assert.deepEqual(parseMarkdown("```js\nno end\n**b**").children, [para(t("```js\nno end\n"), { type: "strong", children: [t("b")] })], "an unclosed fence is text");
  const notClosed = parseMarkdown("```a\nx\n```b").children;
  assert.ok(![...walk(notClosed)].some((n) => n.type === "codeblock"), "a line with a language does not close");
  assert.deepEqual(notClosed, [para({ type: "code", text: "a\nx\n" }, t("b"))], "(the backtick runs pair as a code span)");
});

test("nesting", () => {
  assert.deepEqual(inl("**bold _it ~~s `c`~~_**"), [{ type: "strong", children: [
    t("bold "), { type: "em", children: [t("it "), { type: "strike", children: [t("s "), { type: "code", text: "c" }] }] },
  ] }]);
  assert.deepEqual(inl("*a **b** c*"), [{ type: "em", children: [t("a "), { type: "strong", children: [t("b")] }, t(" c")] }]);
  assert.deepEqual(inl("**a\nb**"), [{ type: "strong", children: [t("a\nb")] }], "across a line break");
  assert.deepEqual(parseMarkdown("**a\n> b**").children, [para(t("**a\n")), { type: "quote", children: [para(t("b**"))] }], "not across blocks");
});

test("nesting is bounded: deeper markers stay literal", () => {
  const deepQuote = "> ".repeat(20) + "x";
  const q = parseMarkdown(deepQuote).children;
  assert.equal(depth(q, "quote"), MAX_DEPTH);
  assert.equal(seen(q), "|".repeat(MAX_DEPTH) + "> ".repeat(20 - MAX_DEPTH) + "x" + "|".repeat(MAX_DEPTH));

  const n = 20;
  const deepEm = "*a ".repeat(n) + "x" + " a*".repeat(n);
  const e = parseMarkdown(deepEm).children;
  assert.equal(depth(e), MAX_DEPTH);
  assert.equal(seen(e), "*a ".repeat(n - MAX_DEPTH) + "a ".repeat(MAX_DEPTH) + "x" + " a".repeat(MAX_DEPTH) + " a*".repeat(n - MAX_DEPTH));

  const deepMixed = "**_~~".repeat(10) + "x" + "~~_**".repeat(10);
  const d = parseMarkdown(deepMixed).children;
  assert.ok(depth(d) <= MAX_DEPTH, `depth ${depth(d)}`);
  const link = parseMarkdown("[" + "*".repeat(12) + "x" + "*".repeat(12) + "](http://x.org)").children;
  assert.ok(depth(link) <= MAX_DEPTH, `link depth ${depth(link)}`);
});

// ---------------------------------------------------------------------------------------------
// Rendering

test("renderMarkdown: the DOM of each construct, from allowlisted calls only", () => {
  assert.equal(render("a\nb"), "a\nb");
  assert.equal(render("**b** *i* ~~s~~ `c`"), "<strong>b</strong> <em>i</em> <s>s</s> <code>c</code>");
  assert.equal(render("[x](http://x.org) http://y.org"),
    '<a href="http://x.org/" target="_blank" rel="noopener noreferrer">x</a> <a href="http://y.org/" target="_blank" rel="noopener noreferrer">http://y.org</a>');
  assert.equal(render("@bob @[a b]"), '<span class="mention" data-mention="bob">@bob</span> <span class="mention" data-mention="a b">@a b</span>');
  assert.equal(render("x\n> **q**\n```\n<i>\n```"), "x\n<blockquote><strong>q</strong></blockquote><pre><code>&lt;i&gt;</code></pre>");
});

test("renderMarkdown: markup in every construct stays text", () => {
  const payloads = ['<img src=x onerror="alert(1)">', "<script>alert(1)</script>", '"><svg onload=alert(1)>', "javascript:alert(1)"];
  for (const p of payloads) {
    const texts = [
      `**${p}**`, `*${p}*`, `_${p}_`, `~~${p}~~`, `\`${p}\``, "```\n" + p + "\n```", `> ${p}`, `[${p}](http://x.org)`,
      `[x](${p})`, `[x](http://x.org/${p})`, `http://x.org/${p}`, `@[${p}]`, `@${p}`,
    ];
    for (const text of texts) {
      // render() itself checks that only allowlisted elements and attributes were created.
      const { out, text: visible } = render(text, { withText: true });
      assert.ok(!/<(?!\/?(?:a|blockquote|code|em|pre|s|span|strong)[ >])/.test(out), `${text} → ${out}`);
      // A payload without < > " is a valid path: [x](http://x.org/javascript:alert(1)) is a link.
      const harmlessLink = text.startsWith("[x](http://x.org/") && out.startsWith('<a href="http://x.org/');
      assert.ok(visible.includes(p) || harmlessLink, `${text}: the payload is visible as typed → ${visible}`);
      for (const [, href] of out.matchAll(/href="([^"]*)"/g)) assert.match(href, /^https?:\/\//);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Bounded work

test("adversarial 4000-character inputs parse in linear time", () => {
  const inputs = {
    "*": "*".repeat(4000),
    "**a": "**a".repeat(1000),
    "[": "[".repeat(4000),
    "`": "`".repeat(4000),
    "> nested": "> ".repeat(4000),
    ">>>": ">".repeat(4000),
    "_": "_".repeat(4000),
    "* ": "* ".repeat(2000),
    "*a nested": "*a ".repeat(667) + "a* ".repeat(667),
    "_a_": "_a".repeat(2000),
    "~~a": "~~a".repeat(1333),
    "[a](": "[a](".repeat(1000),
    "[a]( nested": "[a](".repeat(800) + ")".repeat(800),
    "[](": "[](".repeat(1333),
    "( [": "([".repeat(2000),
    "backtick runs": Array.from({ length: 88 }, (_, i) => "`".repeat(i + 1)).join(" "),
    "url )": "http://x.org/" + ")".repeat(3987),
    "url .": "http://x.org/" + ".".repeat(3986) + "a",
    "urls": "http://a.b/(".repeat(333),
    "@[": "@[".repeat(2000),
    "@a": "@a ".repeat(1333),
    "fences": Array.from({ length: 500 }, (_, i) => "`".repeat(3 + (i % 5)) + "x").join("\n"),
    "``` lines": "```\n".repeat(1000),
    "mixed": "*_~~`[(@>".repeat(444),
  };
  for (const [name, text] of Object.entries(inputs)) {
    parseMarkdown(text); // warm up
    const start = performance.now();
    const tree = parseMarkdown(text);
    const ms = performance.now() - start;
    assert.ok(ms < 200, `${name}: ${ms.toFixed(1)} ms`);
    assert.ok(seen(tree.children).length > 0, name);
  }
  // The whole pipeline, DOM included, on the slowest-looking shape.
  const start = performance.now();
  render("**a _b_ [c](http://d.org) `e` @f ".repeat(120));
  assert.ok(performance.now() - start < 200);
});

test("text past MAX_INPUT is shown plain", () => {
  const text = "**x** ".repeat(3000);
  assert.deepEqual(parseMarkdown(text).children, [para(t(text))]);
});
