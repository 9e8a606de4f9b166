// Message formatting (issue #13, web/markdown.js) in a real browser: markup hidden in every
// markdown construct stays text. The page is the UI chatd serves; the context bypasses the
// server's CSP so that an injected inline handler or <script> WOULD run (a control proves it),
// which makes "no script ran" mean something. The module is imported into the page and its
// fragments are put into .msg-text containers, as the message list would.
import assert from "node:assert/strict";
import { browserSuite, browserTest, send, signInToGeneral, waitFor, WAIT_MS } from "./setup.mjs";

const ELEMENTS = new Set(["a", "blockquote", "code", "em", "pre", "s", "span", "strong"]);
const ATTRIBUTES = new Set(["href", "target", "rel", "class", "data-mention"]);

// Each sets window.xssRan and opens a dialog if it ever runs.
const IMG = `<img src=x onerror="window.xssRan='img';alert('img')">`;
const SCRIPT = `<script>window.xssRan='script';alert('script')</script>`;
const SVG = `"><svg onload="window.xssRan='svg';alert('svg')">`;
const JS = `javascript:window.xssRan='js';alert('js')`;

/** [markdown, text that must be visible as typed] */
const CASES = [
  [`**${IMG}**`, IMG],
  [`*${SVG}*`, SVG],
  [`_${IMG}_`, IMG],
  [`~~${SCRIPT}~~`, SCRIPT],
  ["`" + IMG + "`", IMG],
  ["```html\n" + SCRIPT + "\n" + IMG + "\n```", SCRIPT],
  // A language word that is not [a-z0-9+-]{1,20} is dropped (checked below: no class).
  ["```js\"><img src=x onerror=\"window.xssRan='lang'\">\nx\n```", "x"],
  [`> ${IMG}\n> > ${SVG}`, SVG],
  [`[${IMG}](https://example.com/)`, IMG],
  [`[**${SVG}**](https://example.com/)`, SVG],
  [`[x](${JS})`, `[x](${JS})`],
  ["[x](JaVaScRiPt:alert(1))", "[x](JaVaScRiPt:alert(1))"],
  ["[x](java\tscript:alert(1))", "[x](java\tscript:alert(1))"],
  ["[x](&#106;avascript:alert(1))", "[x](&#106;avascript:alert(1))"],
  [`[x](data:text/html,${SCRIPT})`, `[x](data:text/html,${SCRIPT})`],
  ["[x](//evil.example/)", "[x](//evil.example/)"],
  [`[x](https://example.com/${SVG})`, `[x](https://example.com/${SVG})`],
  [`[x](http://a" onmouseover="window.xssRan='mouseover'")`, `[x](http://a" onmouseover="window.xssRan='mouseover'")`],
  [`[x](http://a"onmouseover="window.xssRan='mouseover2'")`, `[x](http://a"onmouseover="window.xssRan='mouseover2'")`],
  [`https://example.com/${SVG}`, SVG],
  [`https://example.com/?q=${IMG}`, IMG],
  [`see ${JS} and https://example.com/a_(${IMG})`, JS],
  [`@[${IMG}]`, IMG],
  [`@${SVG} @room`, SVG],
];

browserSuite("markdown rendering", (fx) => {
  browserTest(fx, "markup inside every construct stays text; only allowlisted elements, http(s) hrefs", async () => {
    const page = await fx.newUser("reader", { bypassCSP: true });
    const dialogs = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    await page.goto(fx.url + "/", { waitUntil: "load", timeout: WAIT_MS });

    const rendered = await page.evaluate(async (cases) => {
      const { renderMarkdown } = await import("/markdown.js");
      const box = document.createElement("div");
      box.id = "md-test";
      document.body.append(box);
      for (const [text] of cases) {
        const node = document.createElement("div");
        node.className = "msg-text";
        node.append(renderMarkdown(text));
        box.append(node);
      }
      // Anything that could carry a handler gets the events a reader would cause.
      for (const e of box.querySelectorAll("*")) {
        for (const type of ["mouseover", "mouseenter", "focus", "click"]) {
          e.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true }));
        }
      }
      return [...box.children].map((node) => ({
        text: node.textContent,
        elements: [...node.querySelectorAll("*")].map((e) => ({
          name: e.localName,
          attrs: [...e.attributes].map((a) => [a.name, a.value]),
          protocol: e.localName === "a" ? e.protocol : null,
        })),
      }));
    }, CASES);

    // The control: the same kind of payload, parsed as HTML on this page, does run.
    await page.evaluate(() => {
      const probe = document.createElement("div");
      probe.innerHTML = `<img src=x onerror="window.controlRan=true">`; // the test's own markup, not a message
      document.body.append(probe);
    });
    await waitFor(() => page.evaluate(() => window.controlRan === true), { what: "the control payload ran" });
    await new Promise((r) => setTimeout(r, 300)); // any other image error / load has been handled too

    assert.equal(await page.evaluate(() => window.xssRan), undefined, "no payload ran");
    assert.deepEqual(dialogs, [], "no dialog opened");

    assert.equal(rendered.length, CASES.length);
    let links = 0;
    let formatted = 0;
    rendered.forEach((r, i) => {
      const [text, visible] = CASES[i];
      const what = JSON.stringify(text);
      assert.ok(r.text.includes(visible), `${what}: visible as typed; shown: ${JSON.stringify(r.text)}`);
      for (const e of r.elements) {
        assert.ok(ELEMENTS.has(e.name), `${what}: <${e.name}> is not allowed`);
        for (const [name, value] of e.attrs) {
          assert.ok(!name.startsWith("on"), `${what}: attribute ${name}`);
          assert.ok(ATTRIBUTES.has(name), `${what}: attribute ${name}="${value}" is not allowed`);
          if (name === "href") {
            assert.match(value, /^https?:\/\//, `${what}: href`);
            assert.ok(e.protocol === "http:" || e.protocol === "https:", `${what}: link protocol ${e.protocol}`);
            links++;
          }
        }
        if (e.name === "a") {
          assert.deepEqual(Object.fromEntries(e.attrs.filter(([n]) => n !== "href")), { target: "_blank", rel: "noopener noreferrer" });
        }
        formatted++;
      }
    });
    const lang = rendered[CASES.findIndex(([text]) => text.includes("xssRan='lang'"))];
    assert.deepEqual(lang.elements, [{ name: "pre", attrs: [], protocol: null }, { name: "code", attrs: [], protocol: null }], "no class from a bad language word");
    // The cases did exercise the constructs (not everything turned into plain text).
    const names = new Set(rendered.flatMap((r) => r.elements.map((e) => e.name)));
    assert.deepEqual([...names].sort(), [...ELEMENTS].sort(), "every allowed element was produced by some case");
    assert.ok(links >= 5 && formatted >= 15, `links ${links}, elements ${formatted}`);
  });

  browserTest(fx, "two people: a message's markdown shows formatted for the reader, its markup as text, nothing runs", async () => {
    const alice = await fx.newUser("alice", { bypassCSP: true });
    const bob = await fx.newUser("bob", { bypassCSP: true });
    const dialogs = [];
    for (const page of [alice, bob]) page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    await signInToGeneral(fx, alice, "alice");
    await signInToGeneral(fx, bob, "bob");
    // The cases, four messages of six (within the send rate), each with a marker to find it by.
    const groups = [0, 1, 2, 3].map((g) => CASES.slice(g * 6, g * 6 + 6).map(([text]) => text));
    for (const [g, texts] of groups.entries()) await send(alice, `**case ${g}** @bob\n` + texts.join("\n\n"));
    const shown = async (page) =>
      page.evaluate(() => [...document.querySelectorAll('[data-testid="message"] .msg-text')].map((n) => ({
        text: n.textContent,
        elements: [...n.querySelectorAll("*")].map((e) => ({ name: e.localName, attrs: [...e.attributes].map((a) => a.name), href: e.getAttribute("href") })),
      })));
    for (const [who, page] of [["alice", alice], ["bob", bob]]) {
      const list = await waitFor(async () => {
        const all = await shown(page);
        const cases = all.filter((m) => /^case \d/.test(m.text));
        return cases.length === groups.length ? cases : false;
      }, { what: `${who} shows the four messages` });
      for (const m of list) {
        assert.ok(m.elements.some((e) => e.name === "strong"), `${who}: the marker is bold`);
        for (const e of m.elements) {
          assert.ok(ELEMENTS.has(e.name), `${who}: <${e.name}> in a message`);
          for (const name of e.attrs) assert.ok(ATTRIBUTES.has(name), `${who}: attribute ${name} in a message`);
          if (e.href !== null) assert.match(e.href, /^https?:\/\//, `${who}: href`);
        }
      }
      const all = list.map((m) => m.text).join("\n");
      for (const visible of [IMG, SVG, SCRIPT]) assert.ok(all.includes(visible), `${who}: ${visible} shown as text`);
      const names = new Set(list.flatMap((m) => m.elements.map((e) => e.name)));
      for (const name of ["strong", "em", "s", "code", "pre", "blockquote", "a", "span"])
        assert.ok(names.has(name), `${who}: some message shows <${name}>`);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const page of [alice, bob]) assert.equal(await page.evaluate(() => window.xssRan), undefined, "no payload ran");
    assert.deepEqual(dialogs, [], "no dialog opened");
  });
});
