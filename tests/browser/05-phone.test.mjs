// Phone width (375 x 740): composer and messages usable, no horizontal scrolling.
import assert from "node:assert/strict";
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

const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** { scrollWidth, clientWidth, bodyScrollWidth } of the document. */
function widths(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    bodyScrollWidth: document.body.scrollWidth,
  }));
}

/** True when the element's box is inside the viewport (at least partly, and not off to the side). */
async function inViewport(locator) {
  const box = await locator.boundingBox();
  if (!box) return false;
  return box.width > 0 && box.height > 0 && box.x >= -1 && box.x + box.width <= 375 + 1 && box.y < 740 && box.y + box.height > 0;
}

browserSuite("phone width", (fx) => {
  browserTest(fx, "composer and messages fit a 375 px wide screen", async () => {
    const page = await fx.newUser("phil", PHONE);
    await signInToGeneral(fx, page, "phil");
    await send(page, "hello from a phone");
    await waitForMessage(page, "hello from a phone", { who: "phil" });

    for (const id of ["composer-input", "send-button", "message-list"]) {
      assert.ok(await page.getByTestId(id).isVisible(), `${id} is visible`);
      assert.ok(await inViewport(page.getByTestId(id)), `${id} is inside the 375x740 viewport`);
    }
    assert.ok(await page.getByTestId("message").first().isVisible(), "the message is visible");
    const w = await widths(page);
    assert.ok(w.scrollWidth <= 375, `no horizontal scrollbar: documentElement.scrollWidth ${w.scrollWidth} <= 375`);
  });

  browserTest(fx, "the room list is a drawer behind the menu button", async () => {
    const page = await fx.newUser("phil", PHONE);
    await signInToGeneral(fx, page, "phil");
    const general = page.getByTestId("room-list").getByTestId("room-item").filter({ hasText: "general" });
    assert.ok(await general.isHidden(), "the room list is hidden on a phone until opened");
    assert.ok(await inViewport(page.getByTestId("rooms-toggle")), "the menu button is on screen");
    await page.getByTestId("rooms-toggle").click();
    await waitVisible(general, "room list after tapping the menu button");
    await waitFor(async () => inViewport(general), { what: "the general room button inside the viewport" });
    const w = await widths(page);
    assert.ok(w.scrollWidth <= 375, `drawer open: documentElement.scrollWidth ${w.scrollWidth} <= 375`);
    await general.click();
    await waitHidden(general, "room list after picking a room");
    assert.equal(await page.getByTestId("rooms-toggle").getAttribute("aria-expanded"), "false");
    assert.ok(await page.getByTestId("composer-input").isVisible(), "composer visible again");
  });

  browserTest(fx, "a long unbroken word does not widen the page", async () => {
    const page = await fx.newUser("phil", PHONE);
    await signInToGeneral(fx, page, "phil");
    const long = "x".repeat(300);
    const url = `https://example.com/${"abcdefghij".repeat(20)}`;
    await send(page, long);
    await send(page, url);
    await waitForMessage(page, long, { who: "phil" });
    await waitForMessage(page, url, { who: "phil" });
    const w = await widths(page);
    assert.ok(w.scrollWidth <= 375, `documentElement.scrollWidth ${w.scrollWidth} <= 375 with a 300-character word`);
    assert.ok(await inViewport(page.getByTestId("composer-input")), "composer still inside the viewport");
  });
});
