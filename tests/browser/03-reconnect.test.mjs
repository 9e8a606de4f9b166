// Server restart: the connection banner shows while chatd is down, a message written offline
// waits as pending and is delivered after the reconnect, messages sent meanwhile are synced,
// and every message shows exactly once for both users.
import assert from "node:assert/strict";
import {
  aliceAndBobInGeneral,
  browserSuite,
  browserTest,
  messages,
  onlineNames,
  send,
  waitFor,
  waitForMessage,
  waitHidden,
  waitVisible,
} from "./setup.mjs";

browserSuite("reconnect", (fx) => {
  browserTest(fx, "banner, pending and missed messages across a chatd restart", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    await waitFor(async () => (await onlineNames(alice)).includes("bob"), { what: "alice: bob online" });

    await send(alice, "before the restart");
    await waitForMessage(alice, "before the restart", { who: "alice" });
    await waitForMessage(bob, "before the restart", { who: "bob" });

    // chatd goes away (clean SIGTERM); both pages show the banner.
    await fx.stopServer();
    await waitVisible(alice.getByTestId("connection-banner"), "alice: connection banner while chatd is down");
    await waitVisible(bob.getByTestId("connection-banner"), "bob: connection banner while chatd is down");

    // Alice writes while offline: the message shows as pending.
    await send(alice, "written while offline");
    await waitFor(
      async () => (await messages(alice)).some((m) => m.text === "written while offline" && m.pending),
      { what: "alice: the offline message shown as pending" },
    );

    // chatd comes back on the same port with the same database.
    await fx.startServerAgain();

    // Bob sends as soon as he is back (alice may still be reconnecting: she gets it by sync).
    await waitHidden(bob.getByTestId("connection-banner"), "bob: connection banner after the restart");
    await waitFor(async () => !(await bob.getByTestId("composer-input").isDisabled()), { what: "bob: composer enabled" });
    await send(bob, "sent after the restart");

    await waitHidden(alice.getByTestId("connection-banner"), "alice: connection banner after the restart");

    for (const [who, page] of [["alice", alice], ["bob", bob]]) {
      await waitForMessage(page, "written while offline", { author: "alice", who });
      await waitForMessage(page, "sent after the restart", { author: "bob", who });
      await waitForMessage(page, "before the restart", { author: "alice", who });
    }
    // Once more after a moment: nothing is duplicated late (e.g. by a resend or a second sync).
    await new Promise((r) => setTimeout(r, 1500));
    for (const [who, page] of [["alice", alice], ["bob", bob]]) {
      const list = await messages(page);
      for (const text of ["before the restart", "written while offline", "sent after the restart"]) {
        assert.equal(list.filter((m) => m.text === text).length, 1, `${who}: "${text}" shown exactly once`);
      }
      assert.deepEqual(list.filter((m) => m.pending), [], `${who}: nothing left pending`);
      const seqs = list.map((m) => Number(m.seq));
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${who}: messages in seq order`);
      assert.equal(new Set(seqs).size, seqs.length, `${who}: no seq twice`);
    }
  });
});
