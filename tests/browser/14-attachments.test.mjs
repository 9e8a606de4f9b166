// Image attachments (issue #13): picked, pasted or dropped into the composer, uploaded at once
// and shown as the server's thumbnail; sent with or without text; the other person sees the
// thumbnail in the timeline and the full image on click; a file the server refuses says why.
import assert from "node:assert/strict";
import { makePng } from "../lib/fixtures.mjs";
import {
  aliceAndBobInGeneral, browserSuite, browserTest, send, signInToGeneral, waitFor, waitHidden, waitInGeneral, waitVisible,
} from "./setup.mjs";

/** The composer's images as data: [{ status, src }]. */
async function composerImages(page) {
  return page.getByTestId("composer-image").evaluateAll((els) =>
    els.map((e) => ({ status: e.dataset.status, src: e.querySelector("img")?.getAttribute("src") ?? null, text: e.textContent })));
}

/** Waits until the composer holds `n` images, all uploaded. */
async function waitUploaded(page, n, who) {
  return waitFor(async () => {
    const list = await composerImages(page);
    return list.length === n && list.every((i) => i.status === "ready") ? list : false;
  }, { what: `${who}: ${n} image(s) uploaded in the composer` });
}

/** Stored messages with images: [{ text, images: [{ thumb, full, loaded }] }]. */
async function messagesWithImages(page) {
  return page.locator('[data-testid="message"][data-seq]').evaluateAll((els) => els
    .map((e) => ({
      text: e.querySelector('[data-testid="message-text"]')?.textContent ?? null,
      images: [...e.querySelectorAll('[data-testid="message-image"]')].map((b) => {
        const img = b.querySelector("img");
        return { thumb: img.getAttribute("src"), full: b.dataset.fullUrl, loaded: img.complete && img.naturalWidth > 0 };
      }),
    }))
    .filter((m) => m.images.length > 0));
}

/** Hands `files` ({name, type, bytes}) to the page as a paste into the composer or a drop on the conversation. */
async function giveFiles(page, how, files) {
  await page.evaluate(({ how, files }) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    if (how === "paste") {
      document.querySelector('[data-testid="composer-input"]').dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    } else {
      const target = document.querySelector('[data-testid="message-list"]') || document.querySelector("main");
      target.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, { how, files: files.map((f) => ({ ...f, bytes: [...f.bytes] })) });
}

browserSuite("image attachments", (fx) => {
  browserTest(fx, "pick, paste and drop images; the other person sees thumbnails and the full image", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);

    // Picked with the button's file input, sent with a text.
    await alice.getByTestId("attach-input").setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: makePng(64, 1) });
    const [picked] = await waitUploaded(alice, 1, "alice");
    assert.match(picked.src, /^\/api\/attachments\/[A-Za-z0-9_-]+\/thumb$/, "the composer shows the server's thumbnail");
    await send(alice, "look at this");
    await waitFor(async () => (await composerImages(alice)).length === 0, { what: "alice: the composer is emptied" });
    const withText = await waitFor(async () => {
      const list = await messagesWithImages(bob);
      return list.length === 1 && list[0].images[0].loaded ? list[0] : false;
    }, { what: "bob: the message with its thumbnail, loaded" });
    assert.equal(withText.text, "look at this");
    assert.match(withText.images[0].full, /^\/api\/attachments\/[A-Za-z0-9_-]+$/);

    // The full image on click; Esc closes it.
    await bob.getByTestId("message-image").first().click();
    await waitVisible(bob.getByTestId("image-viewer"), "bob: the image viewer");
    await waitFor(() => bob.getByTestId("image-viewer-img").evaluate((img) => img.complete && img.naturalWidth === 64),
      { what: "bob: the full image (64 px wide) loaded" });
    await bob.keyboard.press("Escape");
    await waitHidden(bob.getByTestId("image-viewer"), "bob: the viewer closes on Esc");

    // Pasted, and dropped: two images, sent without text (Enter with images only sends).
    await giveFiles(alice, "paste", [{ name: "pasted.png", type: "image/png", bytes: makePng(32, 2) }]);
    await giveFiles(alice, "drop", [{ name: "dropped.png", type: "image/png", bytes: makePng(48, 3) }]);
    await waitUploaded(alice, 2, "alice");
    await alice.getByTestId("composer-input").press("Enter");
    const imagesOnly = await waitFor(async () => {
      const list = await messagesWithImages(bob);
      return list.length === 2 && list[1].images.length === 2 && list[1].images.every((i) => i.loaded) ? list[1] : false;
    }, { what: "bob: the second message with two loaded thumbnails" });
    assert.equal(imagesOnly.text, null, "no text line for an image-only message");
    assert.equal((await messagesWithImages(alice)).length, 2, "alice sees both too");
  });

  browserTest(fx, "a file the server refuses is shown as refused, can be removed, and is never sent", async () => {
    const { alice } = await aliceAndBobInGeneral(fx);
    await alice.getByTestId("attach-input").setInputFiles({ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("this is not an image at all") });
    const failed = await waitFor(async () => {
      const list = await composerImages(alice);
      return list.length === 1 && list[0].status === "failed" ? list[0] : false;
    }, { what: "alice: the upload refused" });
    assert.ok(failed.text.length > 5, `a reason is shown: ${failed.text}`);
    assert.equal(await alice.getByTestId("send-button").isDisabled(), true, "nothing to send");
    await alice.getByTestId("composer-image-remove").click();
    await waitFor(async () => (await composerImages(alice)).length === 0, { what: "alice: removed" });
    assert.equal(await alice.getByTestId("composer-images").isHidden(), true);
  });

  browserTest(fx, "an image waiting in the composer is gone after sign-out, for the next person on this browser", async () => {
    const page = await fx.newUser("dave");
    await signInToGeneral(fx, page, "dave");
    await page.getByTestId("attach-input").setInputFiles({ name: "mine.png", mimeType: "image/png", buffer: makePng(16, 4) });
    await waitUploaded(page, 1, "dave");
    await page.getByTestId("signout-button").click();
    await waitVisible(page.getByTestId("signin-name"), "sign-in form after sign-out");
    // The next person signs in on the same page, without a reload.
    await page.getByTestId("signin-name").fill("erin");
    await page.getByTestId("signin-password").fill("pw-erin-secret");
    await page.getByTestId("signin-submit").click();
    await waitInGeneral(page, "erin");
    assert.deepEqual(await composerImages(page), [], "nothing of dave's in erin's composer");
    assert.equal(await page.getByTestId("composer-images").isHidden(), true);
  });
});

