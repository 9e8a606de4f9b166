// Notifications (issue #13): the permission is asked only from the button's click (a user
// gesture); once granted, a direct message while the page is hidden shows a notification
// (author + room, first line), nothing while it is visible or for a plain room message; a
// click on it opens the conversation.
//
// window.Notification is a stub (an init script) recording permission requests and
// notifications; document.hidden / visibilityState read window.__hidden.
import assert from "node:assert/strict";
import { sleep } from "../lib/wait.mjs";
import {
  browserSuite,
  browserTest,
  send,
  signInToGeneral,
  waitFor,
  waitForMessage,
  waitHidden,
  waitVisible,
} from "./setup.mjs";

function stubNotifications() {
  window.__hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get() { return window.__hidden; } });
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get() { return window.__hidden ? "hidden" : "visible"; } });
  window.__perm = "default";
  window.__permRequests = [];
  window.__notes = [];
  class FakeNotification {
    constructor(title, options = {}) {
      this.title = title;
      this.body = options.body;
      window.__notes.push({ title, body: options.body, tag: options.tag });
      window.__lastNote = this;
    }
    close() { this.closed = true; }
    static get permission() { return window.__perm; }
    static requestPermission() {
      window.__permRequests.push({ gesture: navigator.userActivation ? navigator.userActivation.isActive : null });
      window.__perm = "granted";
      return Promise.resolve("granted");
    }
  }
  window.Notification = FakeNotification;
}

const notes = (page) => page.evaluate(() => window.__notes);
const setHidden = (page, hidden) => page.evaluate((h) => {
  window.__hidden = h;
  document.dispatchEvent(new Event("visibilitychange"));
}, hidden);

browserSuite("notifications", (fx) => {
  browserTest(fx, "asked on the button's click only; a DM while hidden notifies, and opens on click", async () => {
    const alice = await fx.newUser("alice");
    await fx.users.find((u) => u.page === alice).context.addInitScript(stubNotifications);
    const bob = await fx.newUser("bob");
    await signInToGeneral(fx, alice, "alice");
    await signInToGeneral(fx, bob, "bob");

    const button = alice.getByTestId("notify-button");
    await waitVisible(button, "alice: Enable notifications");
    assert.equal(await button.textContent(), "Enable notifications");
    assert.deepEqual(await alice.evaluate(() => window.__permRequests), [], "not asked on load");
    await button.click();
    await waitFor(async () => (await button.textContent()) === "Notifications on", { what: "alice: button says on" });
    assert.ok(await button.isDisabled());
    const requests = await alice.evaluate(() => window.__permRequests);
    assert.equal(requests.length, 1, "asked once");
    assert.equal(requests[0].gesture, true, "asked during the click's user activation");

    // Bob opens a DM; alice's page is visible: no notification.
    await bob.getByTestId("dm-input").fill("alice");
    await bob.getByTestId("dm-button").click();
    await waitFor(async () => (await bob.getByTestId("room-title").textContent()) === "alice", { what: "bob: DM open" });
    await send(bob, "visible hello");
    const dmItem = alice.getByTestId("dm-list").getByTestId("room-item");
    await waitFor(async () => (await dmItem.count()) === 1 && (await dmItem.getByTestId("room-unread").textContent()) === "1", { what: "alice: DM unread 1" });
    await sleep(300);
    assert.deepEqual(await notes(alice), [], "nothing while the page is visible");

    // Hidden: a DM notifies; a message in general (no mention) does not.
    await setHidden(alice, true);
    await send(bob, "hidden hello\nsecond line");
    await waitFor(async () => (await notes(alice)).length === 1, { what: "alice: one notification" });
    const [note] = await notes(alice);
    assert.match(note.title, /bob.*direct message/);
    assert.equal(note.body, "hidden hello", "the first line");
    await bob.getByTestId("room-list").getByTestId("room-item").filter({ hasText: "general" }).click();
    await waitFor(async () => (await bob.getByTestId("room-title").textContent()) === "# general", { what: "bob: back in general" });
    await send(bob, "general chatter");
    await waitForMessage(alice, "general chatter", { who: "alice" });
    await sleep(300);
    assert.equal((await notes(alice)).length, 1, "no notification for a plain room message");

    // Clicking the notification opens the conversation.
    await setHidden(alice, false);
    await alice.evaluate(() => window.__lastNote.onclick());
    await waitFor(async () => (await alice.getByTestId("room-title").textContent()) === "bob", { what: "alice: the DM is open" });
    await waitForMessage(alice, "hidden hello\nsecond line", { who: "alice" });
    assert.equal(await alice.evaluate(() => window.__lastNote.closed), true, "the notification is closed");
    await waitHidden(dmItem.getByTestId("room-unread"), "alice: DM read");
  });

  browserTest(fx, "a mention in a room notifies while hidden (needs a chatd with mentions)", async () => {
    const alice = await fx.newUser("alice");
    await fx.users.find((u) => u.page === alice).context.addInitScript(stubNotifications);
    const bob = await fx.newUser("bob");
    await signInToGeneral(fx, alice, "alice");
    await signInToGeneral(fx, bob, "bob");
    await alice.getByTestId("notify-button").click();
    await waitFor(async () => (await alice.getByTestId("notify-button").textContent()) === "Notifications on", { what: "alice: notifications on" });

    await setHidden(alice, true);
    await send(bob, "@alice can you check this");
    await waitFor(async () => (await notes(alice)).length === 1, { what: "alice: a notification for the mention" });
    const [note] = await notes(alice);
    assert.match(note.title, /bob.*#general/);
    assert.equal(note.body, "@alice can you check this");
    await send(bob, "@bob talking to myself");
    await waitForMessage(alice, "@bob talking to myself", { who: "alice" });
    await sleep(300);
    assert.equal((await notes(alice)).length, 1, "no notification for a mention of someone else");
  });
});
