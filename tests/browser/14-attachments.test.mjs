// Image attachments (issue #13): picked, pasted or dropped into the composer, uploaded at once
// and shown as the server's thumbnail; sent with or without text; the other person sees the
// thumbnail in the timeline and the full image on click; a file the server refuses says why.
import assert from "node:assert/strict";
import { makePng } from "../lib/fixtures.mjs";
import {
  aliceAndBobInGeneral, browserSuite, browserTest, send, signInToGeneral, userInGeneral, waitFor, waitHidden, waitInGeneral, waitVisible,
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

/**
 * Hands `files` ({name, type, bytes}) to the page as a paste into the composer or a drop (on the
 * conversation, or on the element matching `target`). Returns whether the page cancelled the
 * events (a drag or drop not cancelled is the browser's: it opens the file in the tab).
 */
async function giveFiles(page, how, files, target = null) {
  return page.evaluate(({ how, files, target }) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    if (how === "paste") {
      const pasted = document.querySelector('[data-testid="composer-input"]').dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
      return { pasteCancelled: !pasted };
    }
    const on = target ? document.querySelector(target) : document.querySelector('[data-testid="message-list"]') || document.querySelector("main");
    const over = on.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    const dropped = on.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    return { dragoverCancelled: !over, dropCancelled: !dropped };
  }, { how, target, files: files.map((f) => ({ ...f, bytes: [...f.bytes] })) });
}

const UPLOAD_URL = /\/api\/rooms\/\d+\/attachments$/;

/**
 * Sends `page`'s uploads (POST /api/rooms/{id}/attachments) through `answer(route, n)`, n
 * counting from 0; an answer that does nothing holds the request. Returns the uploads seen as
 * [{ at (ms), route }]; `failed` lists the uploads the page gave up (aborted) by their error text.
 */
async function routeUploads(page, answer) {
  const seen = [];
  seen.failed = [];
  page.on("requestfailed", (r) => { if (UPLOAD_URL.test(r.url())) seen.failed.push(r.failure()?.errorText ?? "failed"); });
  await page.route(UPLOAD_URL, async (route) => {
    const n = seen.length;
    seen.push({ at: Date.now(), route });
    await answer(route, n);
  });
  return seen;
}

const hold = () => {};
const png = (name, seed, size = 16) => ({ name, mimeType: "image/png", buffer: makePng(size, seed) });

/** Waits until the composer's images have exactly the statuses `statuses` (in order); returns them. */
function waitStatuses(page, statuses, what) {
  return waitFor(async () => {
    const list = await composerImages(page);
    return JSON.stringify(list.map((i) => i.status)) === JSON.stringify(statuses) ? list : false;
  }, { what: `${what}: composer images ${statuses.join(", ")}` });
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
    const page = await userInGeneral(fx, "dave");
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

  browserTest(fx, "removing an image stops its upload (the next one goes on); removing an uploaded one deletes it on the server", async () => {
    const page = await userInGeneral(fx, "frank");
    const uploads = await routeUploads(page, (route, n) => (n === 0 ? hold() : route.continue()));
    const deletes = [];
    await page.route(/\/api\/attachments\/[^/]+$/, (route) => {
      if (route.request().method() === "DELETE") deletes.push(new URL(route.request().url()).pathname);
      return route.continue(); // the server answers 204, or 404/405 without the route: both are fine for the UI
    });
    await page.getByTestId("attach-input").setInputFiles([png("held.png", 10), png("next.png", 11)]);
    await waitFor(() => uploads.length === 1, { what: "frank: the first upload under way (held)" });
    await waitStatuses(page, ["uploading", "uploading"], "frank");
    await page.getByTestId("composer-image-remove").first().click();
    await waitFor(() => uploads.failed.length === 1, { what: "frank: the removed image's upload aborted" });
    const [next] = await waitUploaded(page, 1, "frank");
    assert.equal(uploads.length, 2, "the queued image went next");

    const id = next.src.match(/^\/api\/attachments\/([A-Za-z0-9_-]+)\/thumb$/)[1];
    await page.getByTestId("composer-image-remove").click();
    await waitFor(() => deletes.length === 1, { what: "frank: DELETE of the uploaded image" });
    assert.equal(deletes[0], `/api/attachments/${id}`);
    await waitFor(async () => (await composerImages(page)).length === 0, { what: "frank: the composer emptied" });
    assert.equal(await page.getByTestId("composer-images").isHidden(), true);
  });

  browserTest(fx, "a busy server's 429 is waited out as its Retry-After says, then the image uploads; a long wait is shown instead", async () => {
    const page = await userInGeneral(fx, "grace");
    const busy = (seconds) => ({
      status: 429, headers: { "Retry-After": String(seconds) }, contentType: "application/json",
      body: JSON.stringify({ error: "rate_limited", message: "your previous upload is still being processed" }),
    });
    const uploads = await routeUploads(page, (route, n) => (n === 0 ? route.fulfill(busy(1)) : n === 2 ? route.fulfill(busy(3600)) : route.continue()));
    await page.getByTestId("attach-input").setInputFiles(png("busy.png", 12));
    await waitFor(async () => {
      const [item] = await composerImages(page);
      return item && item.status === "uploading" && /retrying in 1 second/.test(item.text);
    }, { what: "grace: the countdown of the wait on the item" });
    await waitUploaded(page, 1, "grace");
    assert.equal(uploads.length, 2, "one retry");
    assert.ok(uploads[1].at - uploads[0].at >= 900, `the retry waited Retry-After (${uploads[1].at - uploads[0].at} ms)`);

    // An hour's wait is not waited out in the composer: the item says when to try again.
    await page.getByTestId("attach-input").setInputFiles(png("later.png", 13));
    const [, later] = await waitStatuses(page, ["ready", "failed"], "grace");
    assert.match(later.text, /try again in 60 minutes/i);
    assert.equal(uploads.length, 3, "no retry of a long wait");
  });

  browserTest(fx, "an upload without progress is stopped after a while and says so; the next one goes on", async () => {
    const page = await userInGeneral(fx, "heidi");
    // The page's own stall limit (60 s) shortened for the test.
    await page.evaluate(async () => { (await import("/attachment-upload.js")).uploadTiming.stallMs = 1000; });
    const uploads = await routeUploads(page, (route, n) => (n === 0 ? hold() : route.continue()));
    await page.getByTestId("attach-input").setInputFiles(png("stalls.png", 14));
    const [stalled] = await waitStatuses(page, ["failed"], "heidi");
    assert.match(stalled.text, /progress/);
    await waitFor(() => uploads.failed.length === 1, { what: "heidi: the stalled request aborted" });
    await page.getByTestId("attach-input").setInputFiles(png("fine.png", 15));
    await waitStatuses(page, ["failed", "ready"], "heidi");
  });

  browserTest(fx, "files dropped outside the conversation or with no room open never leave the chat", async () => {
    const page = await fx.newUser("ivan");
    await page.goto(fx.url + "/", { waitUntil: "load" });
    await waitVisible(page.getByTestId("signin-name"), "ivan: sign-in form");
    const file = { name: "stray.png", type: "image/png", bytes: makePng(16, 16) };
    assert.deepEqual(await giveFiles(page, "drop", [file], "body"), { dragoverCancelled: true, dropCancelled: true },
      "no room open (signed out): the page keeps the drop");
    await signInToGeneral(fx, page, "ivan");
    assert.deepEqual(await giveFiles(page, "drop", [file], '[data-testid="room-list"]'), { dragoverCancelled: true, dropCancelled: true },
      "a drop on the room list is kept by the page");
    assert.deepEqual(await composerImages(page), [], "and adds nothing to the composer");
    assert.equal(new URL(page.url()).pathname, "/");
  });

  browserTest(fx, "failed images do not count towards the four per message", async () => {
    const page = await userInGeneral(fx, "judy");
    await page.getByTestId("attach-input").setInputFiles({ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
    await waitStatuses(page, ["failed"], "judy");
    await page.getByTestId("attach-input").setInputFiles([1, 2, 3, 4].map((i) => png(`p${i}.png`, 20 + i)));
    await waitStatuses(page, ["failed", "ready", "ready", "ready", "ready"], "judy");
  });

  browserTest(fx, "\"Uploading…\" and its end are announced by a polite live region", async () => {
    const page = await userInGeneral(fx, "karl");
    const uploads = await routeUploads(page, (route, n) => (n === 0 ? hold() : route.continue()));
    // A live region is announced when its text changes: it must be in the page before the upload.
    await page.evaluate(() => { for (const e of document.querySelectorAll("[aria-live]")) e.dataset.before = "1"; });
    const announced = () => page.evaluate(() => [...document.querySelectorAll('[aria-live="polite"][data-before]')].map((e) => e.textContent).join(" | "));
    await page.getByTestId("attach-input").setInputFiles(png("spoken.png", 30));
    await waitFor(async () => /Uploading/.test(await announced()), { what: "karl: \"Uploading\" in a polite live region" });
    await waitFor(() => uploads.length === 1, { what: "karl: upload held" });
    await uploads[0].route.continue();
    await waitUploaded(page, 1, "karl");
    assert.match(await announced(), /Uploaded image spoken\.png/);
  });
});
