// Mentions (issue #13): "@" + letters in the composer lists the room's members whose name starts
// with them (room:members) and "@room"; arrows/Enter/Tab/click insert "@name " or
// "@[name with spaces] "; a message that mentions a user is highlighted for them (not for
// others); the room list shows a mention badge (Room.mentionCount, counted live) that goes once
// the room is read.
//
// Needs a chatd with mentions (room:members, message.mentions, Room.mentionCount).
import assert from "node:assert/strict";
import {
  aliceAndBobInGeneral,
  browserSuite,
  browserTest,
  joinRoom,
  messageByText,
  openListedRoom,
  roomItems,
  send,
  usersInGeneral,
  waitFor,
  waitForMessage,
  waitHidden,
  waitVisible,
} from "./setup.mjs";

const optionNames = (page) => page.getByTestId("mention-option").evaluateAll((els) => els.map((e) => e.dataset.name));
const activeOption = (page) => page.locator('[data-testid="mention-option"][aria-selected="true"]').getAttribute("data-name");

async function typeInComposer(page, text) {
  const input = page.getByTestId("composer-input");
  await input.click();
  await input.pressSequentially(text, { delay: 20 });
}

async function mentionsBadge(page, name) {
  const item = (await roomItems(page, "room-list")).find((r) => r.name === name);
  return item ? item.mentions : undefined;
}

browserSuite("mentions", (fx) => {
  browserTest(fx, "completion from the members, insertion, highlight for the mentioned only", async () => {
    const [alice, bob, peep] = await usersInGeneral(fx, ["alice", "bob", "bo peep"]);

    // "@bo": both members whose name starts with it, not "@room".
    await typeInComposer(alice, "hi @bo");
    await waitVisible(alice.getByTestId("mention-list"), "alice: completion list");
    await waitFor(async () => JSON.stringify((await optionNames(alice)).sort()) === JSON.stringify(["bo peep", "bob"]), { what: "alice: bob and bo peep offered" });
    // "@BO" matches the same (any case); arrows move, Enter inserts the bracketed form.
    const first = await activeOption(alice);
    await alice.getByTestId("composer-input").press("ArrowDown");
    const second = await activeOption(alice);
    assert.notEqual(first, second, "ArrowDown moves the choice");
    if (second !== "bo peep") await alice.getByTestId("composer-input").press("ArrowUp");
    assert.equal(await activeOption(alice), "bo peep");
    await alice.getByTestId("composer-input").press("Enter");
    await waitHidden(alice.getByTestId("mention-list"), "alice: list closed after choosing");
    assert.equal(await alice.getByTestId("composer-input").inputValue(), "hi @[bo peep] ", "Enter chose, it did not send");

    // A click inserts the plain form.
    await typeInComposer(alice, "and @B");
    await waitFor(async () => (await optionNames(alice)).includes("bob"), { what: "alice: bob offered for @B" });
    await alice.locator('[data-testid="mention-option"][data-name="bob"]').click();
    assert.equal(await alice.getByTestId("composer-input").inputValue(), "hi @[bo peep] and @bob ");
    // Esc closes the list without touching the text.
    await typeInComposer(alice, "@zzz-nobody");
    await alice.getByTestId("composer-input").press("Escape");
    await waitHidden(alice.getByTestId("mention-list"), "alice: no list");
    await alice.getByTestId("composer-input").fill("hi @[bo peep] and @bob look");
    await alice.getByTestId("composer-input").press("Enter");

    // As shown: the markdown renders @[bo peep] as a mention reading "@bo peep".
    const text = "hi @bo peep and @bob look";
    for (const [who, page] of [["bob", bob], ["bo peep", peep]]) {
      await waitForMessage(page, text, { who });
      const msg = messageByText(page, text);
      await waitFor(async () => (await msg.getAttribute("data-mentioned")) === "true", { what: `${who}: the message is highlighted` });
      await waitVisible(msg.getByTestId("mention-marker"), `${who}: mention marker`);
      const spans = await msg.locator(".mention").evaluateAll((els) => els.map((e) => e.textContent));
      assert.deepEqual(spans, ["@bo peep", "@bob"], `${who}: both mentions set apart`);
    }
    await waitForMessage(alice, text, { who: "alice" });
    assert.equal(await messageByText(alice, text).getAttribute("data-mentioned"), null, "not highlighted for its author");

    // "@room": everyone; Tab inserts it.
    await typeInComposer(alice, "@ro");
    await waitFor(async () => (await optionNames(alice)).includes("room"), { what: "alice: @room offered" });
    for (let i = 0; i < 25 && (await activeOption(alice)) !== "room"; i++) await alice.getByTestId("composer-input").press("ArrowDown");
    await alice.getByTestId("composer-input").press("Tab");
    assert.equal(await alice.getByTestId("composer-input").inputValue(), "@room ");
    await alice.getByTestId("composer-input").pressSequentially("standup now");
    await alice.getByTestId("composer-input").press("Enter");
    await waitForMessage(bob, "@room standup now", { who: "bob" });
    await waitFor(async () => (await messageByText(bob, "@room standup now").getAttribute("data-mentioned")) === "true", { what: "bob: @room highlighted" });
  });

  browserTest(fx, "a mention badge on the room, until it is read", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    await joinRoom(bob, "elsewhere");

    await send(alice, "@bob please look");
    await send(alice, "no mention here");
    await waitFor(async () => (await mentionsBadge(bob, "general")) === "@1", { what: "bob: general has a mention badge @1" });
    const label = await bob.locator('[data-testid="room-list"] [data-testid="room-item"]').filter({ hasText: "general" }).getAttribute("aria-label");
    assert.match(label, /1 mentioning you/);

    // After a reload the badge comes from the server (Room.mentionCount).
    await bob.reload({ waitUntil: "load" });
    await waitFor(async () => (await bob.getByTestId("room-title").textContent()) === "# elsewhere", { what: "bob: back in elsewhere" });
    await waitFor(async () => (await mentionsBadge(bob, "general")) === "@1", { what: "bob: the badge from ready" });

    // Reading general clears it (room:read answers mentionCount 0).
    await openListedRoom(bob, "general", "bob");
    await waitForMessage(bob, "@bob please look", { who: "bob" });
    await waitFor(async () => (await mentionsBadge(bob, "general")) === null, { what: "bob: no mention badge once read" });
  });
});
