// Bidi isolation (issue #9): names and message text take their own direction and cannot reorder
// the text around them. A right-to-left name followed by " (you)" must still read "name (you)".
import assert from "node:assert/strict";
import {
  browserSuite,
  browserTest,
  send,
  signInToGeneral,
  waitFor,
  waitForMessage,
} from "./setup.mjs";

const NAME = "\u05de\u05e8\u05d9\u05dd 2"; // "מרים 2": Hebrew, a space and a digit
const TEXT = "\u05e9\u05dc\u05d5\u05dd 123 abc"; // "שלום 123 abc"

browserSuite("bidi isolation", (fx) => {
  browserTest(fx, "right-to-left names and text are isolated", async () => {
    const page = await fx.newUser("miriam");
    await signInToGeneral(fx, page, NAME);
    await send(page, TEXT);
    await waitForMessage(page, TEXT, { author: NAME, who: "miriam" });

    const seen = await page.evaluate(() => {
      const style = (e) => (e ? { dir: e.getAttribute("dir"), bidi: getComputedStyle(e).unicodeBidi, direction: getComputedStyle(e).direction } : null);
      const online = document.querySelector('[data-testid="online-user"] .online-name');
      const bdi = online && online.querySelector("bdi");
      let order = null;
      if (bdi && bdi.nextSibling) {
        // Where " (you)" is drawn relative to the name: isolated, it stays to the right.
        const range = document.createRange();
        range.selectNodeContents(bdi.nextSibling);
        order = { nameRight: bdi.getBoundingClientRect().right, youLeft: range.getBoundingClientRect().left };
      }
      return {
        author: style(document.querySelector('[data-testid="message-author"]')),
        text: style(document.querySelector('[data-testid="message-text"]')),
        me: style(document.querySelector('[data-testid="own-name"]')),
        onlineName: bdi ? bdi.textContent : null,
        onlineText: online ? online.textContent : null,
        order,
      };
    });
    for (const part of ["author", "text", "me"]) {
      assert.ok(seen[part], `${part} element found`);
      assert.equal(seen[part].bidi, "isolate", `${part}: unicode-bidi`);
      assert.equal(seen[part].direction, "rtl", `${part}: takes the direction of its own (Hebrew) text`);
    }
    assert.equal(seen.author.dir, "auto");
    assert.equal(seen.text.dir, "auto");
    assert.equal(seen.onlineName, NAME, "the online list shows the name in a <bdi>");
    assert.equal(seen.onlineText, `${NAME} (you)`);
    assert.ok(seen.order && seen.order.nameRight <= seen.order.youLeft + 1, `" (you)" drawn after the name: ${JSON.stringify(seen.order)}`);

    // A public room with a right-to-left name: the title is "# " + the isolated name.
    const room = "\u05d7\u05d3\u05e8"; // "חדר"
    await page.getByTestId("create-room-input").fill(room);
    await page.getByTestId("create-room-button").click();
    await waitFor(async () => (await page.getByTestId("room-title").textContent()) === `# ${room}`, { what: "title of the new room" });
    assert.equal(await page.locator('[data-testid="room-title"] bdi').textContent(), room);
  });
});
