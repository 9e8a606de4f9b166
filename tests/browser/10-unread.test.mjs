// Unread state from the server (issue #13): counts are the messages after the user's readSeq,
// the same in every tab of the user; a message is read (room:read) only when it is on screen in
// a visible, focused page; the other tab follows the room:read event (counts, "New messages"
// divider); the title shows the total.
//
// Focus and visibility are emulated per page: an init script makes document.hasFocus(),
// document.hidden and document.visibilityState read window.__focused / window.__hidden, and the
// test flips them and fires the events a browser would (focus/blur, visibilitychange).
import assert from "node:assert/strict";
import { sleep } from "../lib/wait.mjs";
import {
  browserSuite,
  browserTest,
  joinRoom,
  messageByText,
  openListedRoom,
  roomItems,
  secondTabInGeneral,
  send,
  userInGeneral,
  waitFor,
  waitForMessage,
  waitVisible,
} from "./setup.mjs";

function emulateFocus() {
  window.__focused = true;
  window.__hidden = false;
  Document.prototype.hasFocus = function hasFocus() { return window.__focused; };
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get() { return window.__hidden; } });
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get() { return window.__hidden ? "hidden" : "visible"; } });
}

async function setFocus(page, focused) {
  await page.evaluate((f) => {
    window.__focused = f;
    window.dispatchEvent(new Event(f ? "focus" : "blur"));
  }, focused);
}

async function setHidden(page, hidden) {
  await page.evaluate((h) => {
    window.__hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

/** room:read requests the page sent (counted on its WebSocket frames). */
function countReads(page) {
  const sent = [];
  page.on("websocket", (ws) => ws.on("framesent", (f) => {
    if (typeof f.payload === "string" && f.payload.includes('"room:read"')) sent.push(f.payload);
  }));
  return sent;
}

async function unreadOf(page, list, name) {
  const item = (await roomItems(page, list)).find((r) => r.name === name);
  return item ? item.unread : undefined;
}

browserSuite("unread state from the server", (fx) => {
  browserTest(fx, "two tabs of one user: counts, title, read only when seen and focused", async () => {
    const alice = await userInGeneral(fx, "alice");
    let reads1;
    const bob1 = await userInGeneral(fx, "bob", { initScript: emulateFocus, prepare: (page) => { reads1 = countReads(page); } });
    // Its page errors fail the test like any page's (browserTest).
    const bob2 = await secondTabInGeneral(fx, bob1, "bob");

    // Neither bob tab is focused: alice's messages stay unread in both, and no read is sent.
    await setFocus(bob1, false);
    await setFocus(bob2, false);
    await sleep(300);
    const readsBefore = reads1.length;
    for (const t of ["one", "two", "three"]) await send(alice, t);
    for (const [who, page] of [["bob1", bob1], ["bob2", bob2]]) {
      await waitForMessage(page, "three", { who });
      await waitFor(async () => (await unreadOf(page, "room-list", "general")) === "3", { what: `${who}: general unread 3` });
      await waitFor(async () => (await page.title()) === "(3) docker-chat", { what: `${who}: title (3)` });
    }
    await sleep(1500);
    assert.equal(reads1.length, readsBefore, "no room:read while unfocused");
    assert.equal(await unreadOf(bob2, "room-list", "general"), "3", "still unread in the other tab");

    // Focused but hidden (another browser tab in front): still not read.
    await setHidden(bob1, true);
    await setFocus(bob1, true);
    await sleep(1500);
    assert.equal(reads1.length, readsBefore, "no room:read while hidden");
    assert.equal(await unreadOf(bob1, "room-list", "general"), "3");

    // Visible and focused: read; the other tab follows the room:read event.
    await setHidden(bob1, false);
    for (const [who, page] of [["bob1", bob1], ["bob2", bob2]]) {
      await waitFor(async () => (await unreadOf(page, "room-list", "general")) === null, { what: `${who}: general read` });
      await waitFor(async () => (await page.title()) === "docker-chat", { what: `${who}: title without a count` });
    }
    assert.ok(reads1.length > readsBefore, "bob1 sent room:read");
  });

  browserTest(fx, "the New messages divider, following reads of the other tab", async () => {
    const alice = await userInGeneral(fx, "alice");
    const bob1 = await userInGeneral(fx, "bob", { initScript: emulateFocus });
    await joinRoom(alice, "news");
    await joinRoom(bob1, "news");
    await send(alice, "already read");
    await waitForMessage(bob1, "already read", { who: "bob1" });
    // Bob goes back to general, where his second tab is too (unfocused).
    await openListedRoom(bob1, "general", "bob1");
    const bob2 = await secondTabInGeneral(fx, bob1, "bob");
    await setFocus(bob2, false);
    await sleep(300);

    await send(alice, "news one");
    await send(alice, "news two");
    await waitFor(async () => (await unreadOf(bob1, "room-list", "news")) === "2", { what: "bob1: news unread 2" });
    await waitFor(async () => (await unreadOf(bob2, "room-list", "news")) === "2", { what: "bob2: news unread 2" });
    // bob2 opens news without looking (unfocused): the divider, and still unread.
    await openListedRoom(bob2, "news", "bob2");
    await waitForMessage(bob2, "news two", { who: "bob2" });
    await waitVisible(bob2.getByTestId("new-messages-divider"), "bob2: New messages divider");
    await sleep(1200);
    assert.equal(await unreadOf(bob2, "room-list", "news"), "2", "opened but not seen: still unread");

    // bob1 opens news: the divider sits right above "news one".
    await openListedRoom(bob1, "news", "bob1");
    await waitForMessage(bob1, "news two", { who: "bob1" });
    await waitVisible(bob1.getByTestId("new-messages-divider"), "bob1: New messages divider");
    const order = await bob1.locator('[data-testid="message-list"] > *').evaluateAll((els) =>
      els.map((e) => (e.dataset.testid === "new-messages-divider" ? "DIVIDER" : e.querySelector('[data-testid="message-text"]')?.textContent)).filter(Boolean),
    );
    assert.deepEqual(order, ["already read", "DIVIDER", "news one", "news two"]);
    assert.equal(await bob1.getByTestId("new-messages-divider").textContent(), "New messages");

    // bob1 read them: bob2 (unfocused, news open) loses its count and its divider.
    await waitFor(async () => (await unreadOf(bob2, "room-list", "news")) === null, { what: "bob2: news read elsewhere" });
    await waitFor(async () => (await bob2.getByTestId("new-messages-divider").count()) === 0, { what: "bob2: divider follows the other tab's read" });
    // bob1's own divider stays where the room was opened; a room opened with nothing unread has none.
    assert.equal(await bob1.getByTestId("new-messages-divider").count(), 1);
    assert.equal(await messageByText(bob1, "news one").count(), 1);
    await openListedRoom(bob1, "general", "bob1");
    assert.equal(await bob1.getByTestId("new-messages-divider").count(), 0, "no divider in a read room");
    await openListedRoom(alice, "general", "alice");
    await send(alice, "live in general");
    await waitForMessage(bob1, "live in general", { who: "bob1" });
    assert.equal(await bob1.getByTestId("new-messages-divider").count(), 0, "no divider for messages that arrive while reading");
  });
});
