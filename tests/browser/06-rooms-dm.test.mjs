// Rooms, direct messages, unread badges and loading older messages.
import assert from "node:assert/strict";
import {
  aliceAndBobInGeneral,
  browserSuite,
  browserTest,
  messages,
  roomItems,
  send,
  signInToGeneral,
  waitFor,
  waitForMessage,
  waitHidden,
  waitVisible,
} from "./setup.mjs";

/** Text of the room title. */
const titleOf = (page) => page.getByTestId("room-title").textContent();

/**
 * Sends `n` messages "<prefix> <i>" to room `roomId` from a second Socket.IO connection opened
 * inside `page` (it shares the page's session cookie), each waiting for its ack.
 */
function sendManyFromPage(page, roomId, prefix, n) {
  return page.evaluate(
    async ({ roomId, prefix, n }) => {
      const s = window.io({ forceNew: true, transports: ["websocket"] });
      await new Promise((resolve, reject) => {
        s.once("ready", resolve);
        s.once("connect_error", (e) => reject(new Error(String(e && e.message))));
      });
      for (let i = 1; i <= n; i++) {
        const ack = await s.timeout(10000).emitWithAck("message:send", { roomId, text: `${prefix} ${i}`, clientId: `bulk-${prefix}-${i}` });
        if (!ack || ack.ok !== true) throw new Error(`message ${i}: ${JSON.stringify(ack)}`);
      }
      s.disconnect();
    },
    { roomId: Number(roomId), prefix, n },
  );
}

// "load older messages" sends 70 messages at once: over one user's send rate.
const SEND_RATE_LIFTED = { args: ["--message-rate", "1000", "--message-burst", "1000"] };

browserSuite("rooms and direct messages", SEND_RATE_LIFTED, (fx) => {
  browserTest(fx, "create and join a public room", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);

    await alice.getByTestId("create-room-input").fill("random");
    await alice.getByTestId("create-room-button").click();
    await waitFor(async () => (await titleOf(alice)) === "# random", { what: 'alice: title "# random"' });
    const items = await waitFor(async () => {
      const list = await roomItems(alice, "room-list");
      return list.some((r) => r.name === "random" && r.kind === "public") ? list : null;
    }, { what: "alice: random in the room list" });
    assert.ok(items.some((r) => r.name === "general"), "general is still listed");
    await send(alice, "first in random");
    await waitForMessage(alice, "first in random", { who: "alice" });

    // Bob joins by name and sees the history.
    await bob.getByTestId("create-room-input").fill("random");
    await bob.getByTestId("create-room-button").click();
    await waitFor(async () => (await titleOf(bob)) === "# random", { what: 'bob: title "# random"' });
    await waitForMessage(bob, "first in random", { author: "alice", who: "bob" });
    await send(bob, "bob in random");
    await waitForMessage(alice, "bob in random", { author: "bob", who: "alice" });

    // Messages of random do not show in general.
    await alice.getByTestId("room-list").getByTestId("room-item").filter({ hasText: "general" }).click();
    await waitFor(async () => (await titleOf(alice)) === "# general", { what: "alice: back in general" });
    await waitFor(async () => !(await messages(alice)).some((m) => m.text === "bob in random"), {
      what: "alice: general does not show random's messages",
    });
  });

  browserTest(fx, "a direct message arrives with an unread badge", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);

    await alice.getByTestId("dm-input").fill("bob");
    await alice.getByTestId("dm-button").click();
    await waitFor(async () => (await titleOf(alice)) === "bob", { what: 'alice: title "bob"' });
    await send(alice, "psst, a private word");
    await waitForMessage(alice, "psst, a private word", { who: "alice" });

    // Bob (still in general) gets the conversation in his DM list with an unread count.
    const dm = await waitFor(async () => {
      const list = await roomItems(bob, "dm-list");
      const item = list.find((r) => r.kind === "direct" && r.name === "alice");
      return item && item.unread === "1" ? item : null;
    }, { what: 'bob: DM with alice in dm-list with unread "1"' });
    assert.equal(await titleOf(bob), "# general", "bob stays in general");
    assert.ok(!(await messages(bob)).some((m) => m.text === "psst, a private word"), "not shown in general");

    await bob.locator(`[data-testid="room-item"][data-room-id="${dm.id}"]`).click();
    await waitFor(async () => (await titleOf(bob)) === "alice", { what: 'bob: title "alice"' });
    await waitForMessage(bob, "psst, a private word", { author: "alice", who: "bob" });
    await waitHidden(bob.locator(`[data-testid="room-item"][data-room-id="${dm.id}"] [data-testid="room-unread"]`), "bob: unread badge after opening the DM");

    // A DM to nobody is refused with an error.
    await alice.getByTestId("dm-input").fill("nobody-by-this-name");
    await alice.getByTestId("dm-button").click();
    await waitVisible(alice.getByTestId("dm-error"), "alice: dm-error for an unknown user");
    assert.match(await alice.getByTestId("dm-error").textContent(), /nobody-by-this-name/);
  });

  browserTest(fx, "a direct conversation shows whether its other person is online", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    await alice.getByTestId("dm-input").fill("bob");
    await alice.getByTestId("dm-button").click();
    await waitFor(async () => (await titleOf(alice)) === "bob", { what: 'alice: title "bob"' });
    const dot = alice.getByTestId("dm-list").getByTestId("room-item").getByTestId("room-online");
    await waitVisible(dot, "alice: online dot on the DM with bob");
    assert.match(await alice.getByTestId("dm-list").getByTestId("room-item").getAttribute("aria-label"), /\(online\)/);
    await bob.close();
    await waitHidden(dot, "alice: no dot once bob is gone");
  });

  browserTest(fx, "load older messages", async () => {
    const alice = await fx.newUser("alice");
    await signInToGeneral(fx, alice, "alice");
    await alice.getByTestId("create-room-input").fill("history");
    await alice.getByTestId("create-room-button").click();
    await waitFor(async () => (await titleOf(alice)) === "# history", { what: 'alice: title "# history"' });
    const roomId = (await roomItems(alice, "room-list")).find((r) => r.name === "history").id;
    await sendManyFromPage(alice, roomId, "old", 70);

    // Bob opens the room fresh: the latest page, then the older ones on demand.
    const bob = await fx.newUser("bob");
    await signInToGeneral(fx, bob, "bob");
    await bob.getByTestId("create-room-input").fill("history");
    await bob.getByTestId("create-room-button").click();
    await waitFor(async () => (await titleOf(bob)) === "# history", { what: 'bob: title "# history"' });
    await waitForMessage(bob, "old 70", { who: "bob" });
    const first = await messages(bob);
    assert.equal(first.length, 50, "the first page has 50 messages");
    assert.equal(first[0].text, "old 21");
    await waitVisible(bob.getByTestId("load-older"), "bob: load-older button");
    await bob.getByTestId("load-older").click();
    await waitForMessage(bob, "old 1", { who: "bob" });
    const all = await messages(bob);
    assert.deepEqual(all.map((m) => m.text), Array.from({ length: 70 }, (_, i) => `old ${i + 1}`), "all 70, once, in order");
    await waitHidden(bob.getByTestId("load-older"), "bob: load-older hidden once everything is loaded");
  });
});
