// Message actions (issue #13): edit ("(edited)" for everyone), delete (a tombstone), reply (a
// quote that jumps to its original, loading older history), reactions (chips toggled, counts
// seen by the other user), and the server's edit_window_passed shown as a notice.
import assert from "node:assert/strict";
import { sleep } from "../lib/wait.mjs";
import {
  aliceAndBobDroppingFrames,
  aliceAndBobInGeneral,
  browserSuite,
  browserTest,
  joinRoom,
  messageByText,
  send,
  sendManyFromPage,
  waitFor,
  waitForMessage,
  waitHidden,
  waitVisible,
} from "./setup.mjs";

/** Reaction chips of a message: [{ emoji, count, mine, title }]. */
function chips(msg) {
  return msg.getByTestId("reaction-chip").evaluateAll((els) =>
    els.map((e) => ({
      emoji: e.dataset.emoji,
      count: e.querySelector('[data-testid="reaction-count"]').textContent,
      mine: e.getAttribute("aria-pressed") === "true",
      title: e.getAttribute("title"),
    })),
  );
}

async function waitChips(msg, want, what) {
  await waitFor(async () => JSON.stringify((await chips(msg)).map(({ emoji, count, mine }) => ({ emoji, count, mine }))) === JSON.stringify(want), { what });
}

const SEND_RATE_LIFTED = { args: ["--message-rate", "1000", "--message-burst", "1000"] };

browserSuite("message actions", SEND_RATE_LIFTED, (fx) => {
  browserTest(fx, "edit a message (also with Up), then delete it: a tombstone for both", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    await send(alice, "first draft");
    await waitForMessage(bob, "first draft", { author: "alice", who: "bob" });

    // Bob has no Edit or Delete on alice's message; alice has both.
    const bobsCopy = messageByText(bob, "first draft");
    await bobsCopy.hover();
    await waitVisible(bobsCopy.getByTestId("action-reply"), "bob: Reply on alice's message");
    assert.equal(await bobsCopy.getByTestId("action-edit").count(), 0, "no Edit on someone else's message");
    assert.equal(await bobsCopy.getByTestId("action-delete").count(), 0, "no Delete on someone else's message");

    const mine = messageByText(alice, "first draft");
    await mine.hover();
    await mine.getByTestId("action-edit").click();
    const input = alice.getByTestId("composer-input");
    assert.equal(await input.inputValue(), "first draft", "the composer holds the text");
    await waitVisible(alice.getByTestId("composer-bar"), "alice: editing bar");
    await input.fill("final words");
    await input.press("Enter");
    await waitForMessage(alice, "final words", { who: "alice" });
    await waitHidden(alice.getByTestId("composer-bar"), "alice: editing bar gone after saving");
    assert.equal(await input.inputValue(), "", "the composer is empty again");

    const edited = messageByText(bob, "final words");
    await waitVisible(edited.getByTestId("message-edited"), "bob: (edited) mark");
    assert.equal(await edited.getByTestId("message-edited").textContent(), "(edited)");
    assert.match(await edited.getByTestId("message-edited").getAttribute("title"), /^Edited /, "the edit time in the tooltip");
    assert.equal(await messageByText(bob, "first draft").count(), 0, "the old text is gone");

    // Up in the empty composer edits the last own message; Esc gives the draft back.
    await input.click();
    await input.press("ArrowUp");
    await waitFor(async () => (await input.inputValue()) === "final words", { what: "alice: Up fills the composer with her last message" });
    await input.press("Escape");
    await waitFor(async () => (await input.inputValue()) === "", { what: "alice: Esc empties the composer" });
    await waitHidden(alice.getByTestId("composer-bar"), "alice: no bar after Esc");

    // Delete asks first; Cancel keeps the message.
    const finalMine = messageByText(alice, "final words");
    await finalMine.hover();
    await finalMine.getByTestId("action-delete").click();
    await waitVisible(finalMine.getByTestId("delete-confirm"), "alice: delete confirmation");
    await finalMine.getByRole("button", { name: "Cancel" }).click();
    await waitHidden(finalMine.getByTestId("delete-confirm"), "alice: confirmation closed");
    await finalMine.hover();
    await finalMine.getByTestId("action-delete").click();
    await finalMine.getByTestId("delete-confirm-button").click();

    for (const [who, page] of [["alice", alice], ["bob", bob]]) {
      const tomb = page.locator('[data-testid="message"][data-deleted="true"]');
      await waitVisible(tomb, `${who}: tombstone`);
      assert.equal(await tomb.count(), 1);
      assert.equal(await tomb.getByTestId("message-deleted").textContent(), "message deleted");
      assert.equal(await tomb.getByTestId("message-text").count(), 0, `${who}: no text left`);
      assert.equal(await tomb.getByTestId("message-actions").count(), 0, `${who}: no actions on a tombstone`);
      assert.equal(await messageByText(page, "final words").count(), 0);
    }
  });

  browserTest(fx, "reply with a quote; the quote jumps to an original only older history holds", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    const roomId = await joinRoom(alice, "threads");
    await send(alice, "the original question\nsecond line");
    await waitFor(async () => (await messageByText(alice, "the original question\nsecond line").count()) === 1, { what: "alice: original stored" });
    await sendManyFromPage(alice, roomId, "filler", 60);
    await waitForMessage(alice, "filler 60", { who: "alice" });

    // Reply mode: the bar names the message; Esc cancels, Reply again keeps it.
    const original = messageByText(alice, "the original question\nsecond line");
    await original.hover();
    await original.getByTestId("action-reply").click();
    await waitVisible(alice.getByTestId("composer-bar"), "alice: replying bar");
    assert.match(await alice.getByTestId("composer-bar-text").textContent(), /Replying to .*alice.*: the original question$/);
    await alice.getByTestId("composer-input").press("Escape");
    await waitHidden(alice.getByTestId("composer-bar"), "alice: Esc cancels the reply");
    await original.hover();
    await original.getByTestId("action-reply").click();
    await send(alice, "the answer");
    await waitForMessage(alice, "the answer", { who: "alice" });
    await waitHidden(alice.getByTestId("composer-bar"), "alice: bar gone once sent");

    // Bob opens the room fresh: the latest page does not hold the original.
    await joinRoom(bob, "threads");
    const reply = messageByText(bob, "the answer");
    await waitVisible(reply, "bob: the reply");
    assert.equal(await messageByText(bob, "the original question\nsecond line").count(), 0, "the original is not loaded yet");
    assert.equal(await reply.getByTestId("quote-author").textContent(), "alice");
    assert.equal(await reply.getByTestId("quote-text").textContent(), "the original question", "first line only");

    await reply.getByTestId("message-quote").click();
    const found = messageByText(bob, "the original question\nsecond line");
    await waitVisible(found, "bob: the original, loaded from older history");
    await waitFor(async () => (await found.getAttribute("class")).includes("flash"), { what: "bob: the original is highlighted" });
    const inView = await found.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const s = document.getElementById("messagesScroll").getBoundingClientRect();
      return r.bottom > s.top && r.top < s.bottom;
    });
    assert.ok(inView, "the original is scrolled into view");
    await waitFor(async () => !(await found.getAttribute("class")).includes("flash"), { what: "bob: the highlight is brief" });

    // The original edited: the reply's quote follows for bob.
    await original.hover();
    await original.getByTestId("action-edit").click();
    await alice.getByTestId("composer-input").fill("the better question");
    await alice.getByTestId("composer-input").press("Enter");
    await waitFor(async () => (await reply.getByTestId("quote-text").textContent()) === "the better question", { what: "bob: the quote shows the edit" });
  });

  browserTest(fx, "reactions: picked, toggled, counted for both users, any emoji", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    await send(alice, "react to me");
    await waitForMessage(bob, "react to me", { who: "bob" });
    const atBob = messageByText(bob, "react to me");
    const atAlice = messageByText(alice, "react to me");

    await atBob.hover();
    await atBob.getByTestId("action-react").click();
    await waitVisible(atBob.getByTestId("reaction-picker"), "bob: reaction picker");
    await atBob.getByRole("button", { name: "React with 👍" }).click();
    await waitHidden(atBob.getByTestId("reaction-picker"), "bob: picker closes");
    await waitChips(atBob, [{ emoji: "👍", count: "1", mine: true }], "bob: his 👍, highlighted");
    await waitChips(atAlice, [{ emoji: "👍", count: "1", mine: false }], "alice: bob's 👍");
    assert.match((await chips(atAlice))[0].title, /bob reacted with 👍/, "the tooltip names who reacted");

    await atAlice.getByTestId("reaction-chip").click();
    await waitChips(atAlice, [{ emoji: "👍", count: "2", mine: true }], "alice: 👍 2, hers too");
    await waitChips(atBob, [{ emoji: "👍", count: "2", mine: true }], "bob: 👍 2");

    await atBob.getByTestId("reaction-chip").click();
    await waitChips(atBob, [{ emoji: "👍", count: "1", mine: false }], "bob: his 👍 taken back");
    await waitChips(atAlice, [{ emoji: "👍", count: "1", mine: true }], "alice: 👍 1, still hers");

    // Any emoji typed into the picker.
    await atAlice.hover();
    await atAlice.getByTestId("action-react").click();
    await atAlice.getByTestId("reaction-input").fill("🚀");
    await atAlice.getByTestId("reaction-input").press("Enter");
    await waitChips(atBob, [{ emoji: "👍", count: "1", mine: false }, { emoji: "🚀", count: "1", mine: false }], "bob: alice's 🚀 too");
  });
});

browserSuite("missed changes", (fx) => {
  browserTest(fx, "a lost message:changed is fetched with sync {seq, change}; resync brings the last one", async () => {
    // Bob's WebSocket drops chosen message:changed frames, standing in for a lost broadcast.
    const { alice, bob, link } = await aliceAndBobDroppingFrames(fx, (m) => m.startsWith('42["message:changed"') && m.includes("LOST"));

    await send(alice, "to be edited");
    await send(alice, "to be liked");
    await waitForMessage(bob, "to be liked", { who: "bob" });

    // The edit is lost on its way to bob; the next change (a reaction) shows the jump.
    const edited = messageByText(alice, "to be edited");
    await edited.hover();
    await edited.getByTestId("action-edit").click();
    await alice.getByTestId("composer-input").fill("LOST edit");
    await alice.getByTestId("composer-input").press("Enter");
    await waitForMessage(alice, "LOST edit", { who: "alice" });
    await waitFor(async () => link.dropped.length === 1, { what: "the route dropped the edit" });
    const liked = messageByText(alice, "to be liked");
    await liked.hover();
    await liked.getByTestId("action-react").click();
    await liked.getByRole("button", { name: "React with 🎉" }).click();
    await waitChips(messageByText(bob, "to be liked"), [{ emoji: "🎉", count: "1", mine: false }], "bob: the reaction");
    await waitForMessage(bob, "LOST edit", { who: "bob" });
    assert.ok(link.sent.some((m) => typeof m === "string" && m.includes('"sync"') && /"change":\d+/.test(m)), "bob asked sync with a change number");

    // The last change is lost: nothing follows, so only `resync` (a sync {seq, change}) brings it.
    const likedAtAlice = messageByText(alice, "to be liked");
    await likedAtAlice.hover();
    await likedAtAlice.getByTestId("action-edit").click();
    await alice.getByTestId("composer-input").fill("LOST last edit");
    await alice.getByTestId("composer-input").press("Enter");
    await waitFor(async () => link.dropped.length === 2, { what: "the route dropped the last edit" });
    await sleep(800);
    assert.equal(await messageByText(bob, "LOST last edit").count(), 0, "bob has not seen it yet");
    link.ws.send('42["resync"]');
    await waitForMessage(bob, "LOST last edit", { who: "bob" });
    await waitChips(messageByText(bob, "LOST last edit"), [{ emoji: "🎉", count: "1", mine: false }], "bob: the reaction kept");
  });
});

browserSuite("message actions: the edit window", { args: ["--edit-window", "3"] }, (fx) => {
  browserTest(fx, "an edit saved after the server's window (edit_window_passed) is explained", async () => {
    const { alice } = await aliceAndBobInGeneral(fx);
    const sentAt = Date.now();
    await send(alice, "set in stone");
    await waitForMessage(alice, "set in stone", { who: "alice" });
    const mine = messageByText(alice, "set in stone");
    await mine.hover();
    await mine.getByTestId("action-edit").click();
    await alice.getByTestId("composer-input").fill("changed my mind");
    // Started within the 3 s window, saved after it.
    await new Promise((r) => setTimeout(r, Math.max(0, sentAt + 3500 - Date.now())));
    await alice.getByTestId("composer-input").press("Enter");
    await waitVisible(alice.getByTestId("notice"), "alice: notice");
    assert.match(await alice.getByTestId("notice").textContent(), /can no longer be edited/);
    assert.equal(await messageByText(alice, "set in stone").count(), 1, "the message is unchanged");
    // Still editing: Esc gives the box back.
    await alice.getByTestId("composer-input").press("Escape");
    await waitFor(async () => (await alice.getByTestId("composer-input").inputValue()) === "", { what: "alice: composer emptied by Esc" });
  });
});

browserSuite("message actions: no edit window", { args: ["--edit-window", "0"] }, (fx) => {
  browserTest(fx, "Edit is not offered when the server allows no edits (ready's limits)", async () => {
    const { alice } = await aliceAndBobInGeneral(fx);
    await send(alice, "final answer");
    await waitForMessage(alice, "final answer", { who: "alice" });
    const mine = messageByText(alice, "final answer");
    await mine.hover();
    await waitVisible(mine.getByTestId("action-reply"), "alice: Reply offered");
    assert.equal(await mine.getByTestId("action-edit").count(), 0, "no Edit button");
    assert.equal(await mine.getByTestId("action-delete").count(), 1, "Delete still offered");
  });
});
