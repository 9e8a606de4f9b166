// Search (issue #13): results with room, author, time and the words found in <mark> (text only,
// never HTML), "More results" paging, a click that opens the room and jumps to the message
// (loading older history), and the errors (no words, too many searches).
import assert from "node:assert/strict";
import { sleep } from "../lib/wait.mjs";
import {
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

/** The result list: [{ room, author, text, marks, roomId, seq }]. */
function results(page) {
  return page.getByTestId("search-result").evaluateAll((els) =>
    els.map((e) => ({
      room: e.querySelector('[data-testid="search-result-room"]').textContent,
      author: e.querySelector('[data-testid="search-result-author"]').textContent,
      text: e.querySelector('[data-testid="search-result-text"]').textContent,
      marks: Array.from(e.querySelectorAll("mark"), (m) => m.textContent),
      elements: Array.from(e.querySelectorAll('[data-testid="search-result-text"] *'), (x) => x.tagName.toLowerCase()),
      hasTime: !!e.querySelector("time"),
    })),
  );
}

async function search(page, query) {
  await page.getByTestId("search-input").fill(query);
  await page.getByTestId("search-button").click();
}

const LIFTED = { args: ["--message-rate", "1000", "--message-burst", "1000"] };

browserSuite("search", LIFTED, (fx) => {
  browserTest(fx, "results with emphasis, a jump into another room's older history", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    const opsId = await joinRoom(alice, "ops");
    await send(alice, "the Deploy target is <b>prod</b>");
    await waitForMessage(alice, "the Deploy target is <b>prod</b>", { who: "alice" });
    await sendManyFromPage(alice, opsId, "filler", 60);
    await alice.getByTestId("room-list").getByTestId("room-item").filter({ hasText: "general" }).click();
    await send(alice, "deploy done, deployment ok");
    await waitForMessage(bob, "deploy done, deployment ok", { who: "bob" });

    await search(bob, "DEPLOY");
    await waitVisible(bob.getByTestId("search-panel"), "bob: search panel");
    const list = await waitFor(async () => {
      const r = await results(bob);
      return r.length === 2 ? r : null;
    }, { what: "bob: two results" });
    assert.equal(list[0].text, "deploy done, deployment ok", "newest first");
    assert.deepEqual(list[0].marks, ["deploy"], "whole words only: 'deployment' is not emphasised");
    assert.equal(list[0].room, "#general");
    assert.equal(list[0].author, "alice");
    assert.ok(list[0].hasTime, "a time");
    assert.equal(list[1].room, "#ops");
    assert.equal(list[1].text, "the Deploy target is <b>prod</b>", "the text as written");
    assert.deepEqual(list[1].marks, ["Deploy"]);
    assert.deepEqual(list[1].elements, ["mark"], "no element but the <mark>: no HTML from the text");
    assert.match(await bob.getByTestId("search-status").textContent(), /2 messages found/);

    // Bob never opened ops: the result opens it and loads older pages until the message is there.
    await bob.getByTestId("search-result").nth(1).click();
    await waitHidden(bob.getByTestId("search-panel"), "bob: panel closed");
    await waitFor(async () => (await bob.getByTestId("room-title").textContent()) === "# ops", { what: "bob: in ops" });
    const found = messageByText(bob, "the Deploy target is <b>prod</b>");
    await waitVisible(found, "bob: the found message, from older history");
    await waitFor(async () => (await found.getAttribute("class")).includes("flash"), { what: "bob: the message is highlighted" });
  });

  browserTest(fx, "more results page by page; errors are explained", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    const roomId = Number(await alice.locator('[data-testid="room-item"][aria-current="page"]').getAttribute("data-room-id"));
    await sendManyFromPage(alice, roomId, "needle", 25);
    await waitForMessage(bob, "needle 25", { who: "bob" });

    await search(bob, "needle");
    await waitFor(async () => (await results(bob)).length === 20, { what: "bob: the first page of 20" });
    await waitVisible(bob.getByTestId("search-more"), "bob: More results");
    assert.equal((await results(bob))[0].text, "needle 25");
    await bob.getByTestId("search-more").click();
    await waitFor(async () => (await results(bob)).length === 25, { what: "bob: all 25 after More" });
    await waitHidden(bob.getByTestId("search-more"), "bob: no More after the last page");
    const texts = (await results(bob)).map((r) => r.text);
    assert.equal(new Set(texts).size, 25, "each result once");
    assert.equal(texts[24], "needle 1");

    // A query without words: bad_request, explained.
    await sleep(1100);
    await search(bob, "?!");
    await waitFor(async () => /Nothing to search for/.test(await bob.getByTestId("search-status").textContent()), { what: "bob: no-words error" });
    assert.equal((await results(bob)).length, 0);

    // Over 1 search per second (burst 5): rate_limited, with the wait.
    await bob.evaluate(() => {
      const input = document.querySelector('[data-testid="search-input"]');
      for (let i = 0; i < 10; i++) {
        input.value = `needle ${i}`;
        input.form.requestSubmit();
      }
    });
    await waitFor(async () => /Too many searches at once\. Try again in \d+ seconds?\./.test(await bob.getByTestId("search-status").textContent()), { what: "bob: rate limit explained" });
    await bob.getByTestId("search-input").press("Escape");
    await waitHidden(bob.getByTestId("search-panel"), "bob: Esc closes the panel");
    await sleep(1100);
    await search(bob, "needle");
    await waitVisible(bob.getByTestId("search-panel"), "bob: panel again");
    await bob.getByTestId("search-close").click();
    await waitHidden(bob.getByTestId("search-panel"), "bob: the close button closes it");
  });
});
