// Missed messages (issue #4): with several replicas a live message can be lost (broker outage)
// or overtaken. The page must notice a seq jump and fetch the gap with `sync`, and fetch what it
// missed when the server says `resync`. Bob's WebSocket goes through a Playwright route that
// drops chosen `message` frames from the server, standing in for the lost broadcast.
import assert from "node:assert/strict";
import { sleep } from "../lib/wait.mjs";
import {
  aliceAndBobDroppingFrames,
  browserSuite,
  browserTest,
  messages,
  send,
  waitFor,
  waitForMessage,
} from "./setup.mjs";

browserSuite("missed messages", (fx) => {
  browserTest(fx, "a seq gap is filled with sync, and `resync` fetches a lost last message", async () => {
    const { alice, bob, link } = await aliceAndBobDroppingFrames(fx, (m) => m.startsWith('42["message"') && m.includes("LOST "));

    // 1. A gap: the middle message never arrives live.
    for (const text of ["gap one", "LOST gap two", "gap three"]) {
      await send(alice, text);
      await waitForMessage(alice, text, { who: "alice" });
    }
    for (const text of ["gap one", "LOST gap two", "gap three"]) await waitForMessage(bob, text, { who: "bob" });
    assert.equal(link.dropped.length, 1, "the route dropped the middle message");
    const order = (await messages(bob)).filter((m) => m.text?.includes("gap")).map((m) => m.text);
    assert.deepEqual(order, ["gap one", "LOST gap two", "gap three"], "in seq order");

    // 2. The last message is lost: nothing follows, so only `resync` can bring it.
    await send(alice, "LOST last one");
    await waitForMessage(alice, "LOST last one", { who: "alice" });
    await waitFor(async () => link.dropped.length === 2, { what: "the route dropped the last message" });
    await sleep(1000);
    assert.ok(!(await messages(bob)).some((m) => m.text === "LOST last one"), "bob has not seen it yet");
    link.ws.send('42["resync"]');
    await waitForMessage(bob, "LOST last one", { who: "bob" });
    const all = (await messages(bob)).map((m) => m.text);
    assert.equal(all.filter((t) => t === "LOST last one").length, 1);
  });
});
