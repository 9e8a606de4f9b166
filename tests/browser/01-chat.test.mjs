// Two users chatting in "general": sending with Enter, Shift+Enter for new lines, typing
// indicator, and user text shown literally (no HTML / script injection).
import assert from "node:assert/strict";
import { sleep } from "../lib/wait.mjs";
import {
  aliceAndBobInGeneral,
  browserSuite,
  browserTest,
  messages,
  onlineNames,
  send,
  waitFor,
  waitForMessage,
} from "./setup.mjs";

browserSuite("chat in general", (fx) => {
  browserTest(fx, "alice and bob chat in general", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);

    // Enter sends: the message appears once for both, with the author's name.
    await send(alice, "hello bob, this is alice");
    const a1 = await waitForMessage(alice, "hello bob, this is alice", { author: "alice", who: "alice" });
    const b1 = await waitForMessage(bob, "hello bob, this is alice", { author: "alice", who: "bob" });
    assert.equal(a1.seq, b1.seq, "both see the same stored message");
    assert.equal(await alice.getByTestId("composer-input").inputValue(), "", "the composer is cleared after sending");

    // Shift+Enter inserts a newline and does not send.
    const input = alice.getByTestId("composer-input");
    await input.click();
    await input.pressSequentially("first line");
    await input.press("Shift+Enter");
    await input.pressSequentially("second line");
    assert.equal(await input.inputValue(), "first line\nsecond line", "Shift+Enter inserts a newline");
    await sleep(500);
    assert.ok(
      !(await messages(alice)).some((m) => m.text && m.text.startsWith("first line")),
      "Shift+Enter must not send the message",
    );
    assert.ok(
      !(await messages(bob)).some((m) => m.text && m.text.startsWith("first line")),
      "bob must not receive anything after Shift+Enter",
    );
    // Enter then sends both lines as one message.
    await input.press("Enter");
    await waitForMessage(alice, "first line\nsecond line", { author: "alice", who: "alice" });
    await waitForMessage(bob, "first line\nsecond line", { author: "alice", who: "bob" });

    // Bob replies, alice sees it.
    await send(bob, "hi alice! bob here");
    await waitForMessage(alice, "hi alice! bob here", { author: "bob", who: "alice" });
    await waitForMessage(bob, "hi alice! bob here", { author: "bob", who: "bob" });

    // Both lists show the three messages in the same order.
    const order = (list) => list.filter((m) => !m.pending).map((m) => m.text);
    assert.deepEqual(order(await messages(alice)), order(await messages(bob)), "same order for both");
  });

  browserTest(fx, "bob sees alice typing", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    await waitFor(async () => (await onlineNames(bob)).includes("alice"), { what: "bob: alice online" });

    assert.equal((await bob.getByTestId("typing-line").textContent()).trim(), "", "nobody is typing yet");
    const input = alice.getByTestId("composer-input");
    await input.click();
    await input.pressSequentially("I am typing something", { delay: 30 });
    const line = await waitFor(
      async () => {
        const t = await bob.getByTestId("typing-line").textContent();
        return t && t.includes("alice") ? t : null;
      },
      { timeout: 5000, what: 'bob: typing line mentions "alice"' },
    );
    assert.match(line, /alice/);
    assert.equal(
      (await alice.getByTestId("typing-line").textContent()).trim(),
      "",
      "alice does not see herself typing",
    );
    // Nothing was sent.
    assert.ok(!(await messages(bob)).some((m) => m.text === "I am typing something"), "typing does not send");

    // Clearing the composer stops the indicator.
    await input.fill("");
    await waitFor(async () => (await bob.getByTestId("typing-line").textContent()).trim() === "", {
      timeout: 8000,
      what: "bob: typing line cleared after alice emptied the composer",
    });
  });

  browserTest(fx, "HTML in a message is shown literally", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);

    const evil = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`;
    await send(alice, evil);
    const m = await waitForMessage(bob, evil, { author: "alice", who: "bob" });
    await waitForMessage(alice, evil, { author: "alice", who: "alice" });

    const textEl = bob.locator(`[data-testid="message"][data-seq="${m.seq}"] [data-testid="message-text"]`);
    assert.equal(await textEl.textContent(), evil, "message-text textContent is the literal text");
    assert.equal(await textEl.evaluate((e) => e.querySelectorAll("*").length), 0, "no elements inside the text");
    // Give a (hypothetical) injected image time to fail and run its handler.
    await sleep(500);
    for (const [who, page] of [["bob", bob], ["alice", alice]]) {
      assert.equal(await page.evaluate(() => typeof window.__xss), "undefined", `${who}: window.__xss stays undefined`);
      assert.equal(
        await page.getByTestId("message-list").evaluate((e) => e.querySelectorAll("script, img[src='x']").length),
        0,
        `${who}: no <script> or injected <img> in the message list`,
      );
    }

    // A reload (history from the server rather than the live event) is just as safe.
    await bob.reload();
    await waitForMessage(bob, evil, { author: "alice", who: "bob after reload" });
    await sleep(300);
    assert.equal(await bob.evaluate(() => typeof window.__xss), "undefined", "bob after reload: window.__xss undefined");
  });
});
