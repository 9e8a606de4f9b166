// Avatar upload: the uploader sees their new avatar, and another user sees it (message list and
// online list) without reloading.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import {
  aliceAndBobInGeneral,
  browserSuite,
  browserTest,
  onlineNames,
  send,
  signInToGeneral,
  waitFor,
  waitForMessage,
  waitVisible,
} from "./setup.mjs";

/** Resolves to { src, loaded } for the first <img> inside `locator`, or null. */
async function imgOf(locator) {
  if ((await locator.count()) === 0) return null;
  return locator.first().evaluate((box) => {
    const img = box.tagName === "IMG" ? box : box.querySelector("img");
    if (!img) return null;
    return { src: img.getAttribute("src"), loaded: img.complete && img.naturalWidth > 0 };
  });
}

browserSuite("avatars", (fx) => {
  browserTest(fx, "an uploaded avatar shows for the other user", async () => {
    const { alice, bob } = await aliceAndBobInGeneral(fx);
    await waitFor(async () => (await onlineNames(bob)).includes("alice"), { what: "bob: alice online" });

    // A message by alice, so bob's message list shows her avatar too.
    await send(alice, "my avatar is about to change");
    const m = await waitForMessage(bob, "my avatar is about to change", { author: "alice", who: "bob" });
    const aliceId = m.authorId;
    assert.ok(aliceId, "messages carry the author's id");
    const bobMsgAvatar = bob.locator(`[data-testid="message"][data-author-id="${aliceId}"] .avatar`);
    const bobOnlineAvatar = bob.locator(`[data-testid="online-user"][data-user-name="alice"] .avatar`);
    assert.equal(await imgOf(bobMsgAvatar), null, "before the upload bob sees alice's initials in the message list");
    assert.equal(await imgOf(bobOnlineAvatar), null, "before the upload bob sees alice's initials in the online list");
    assert.equal(await alice.getByTestId("own-avatar").getAttribute("src"), null, "alice has no avatar yet");

    // A small valid PNG: a 64x64 screenshot of the page.
    const png = await alice.screenshot({ clip: { x: 0, y: 0, width: 64, height: 64 } });
    assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
    const file = path.join(fx.dir, "avatar.png");
    await writeFile(file, png);
    await alice.getByTestId("avatar-input").setInputFiles(file);

    // Alice's own avatar.
    const ownSrc = await waitFor(
      async () => {
        const src = await alice.getByTestId("own-avatar").getAttribute("src");
        return src && /^\/avatars\/[0-9a-f]+\.webp$/.test(src) ? src : null;
      },
      { what: 'alice: own-avatar src "/avatars/<hex>.webp"' },
    );
    await waitVisible(alice.getByTestId("own-avatar"), "alice: own avatar image");
    assert.ok(await alice.getByTestId("avatar-error").isHidden(), "no avatar error");
    await waitFor(
      async () => alice.getByTestId("own-avatar").evaluate((img) => img.complete && img.naturalWidth > 0),
      { what: "alice: own avatar image loaded" },
    );

    // The image is served as WebP.
    const res = await fetch(fx.url + ownSrc);
    assert.equal(res.status, 200, `GET ${ownSrc}`);
    assert.match(res.headers.get("content-type") || "", /image\/webp/);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.subarray(0, 4).toString("latin1"), "RIFF");
    assert.equal(body.subarray(8, 12).toString("latin1"), "WEBP");

    // Bob sees it without reloading: next to alice's message and in the online list.
    for (const [where, loc] of [["message list", bobMsgAvatar], ["online list", bobOnlineAvatar]]) {
      const img = await waitFor(
        async () => {
          const i = await imgOf(loc);
          return i && i.src && i.src.startsWith("/avatars/") && i.loaded ? i : null;
        },
        { what: `bob: alice's avatar image in the ${where} (src /avatars/…, loaded)` },
      );
      assert.match(img.src, /^\/avatars\/[0-9a-f]+\.webp$/);
    }

    // And after a reload (the avatar comes from the server's data).
    await bob.reload();
    await waitForMessage(bob, "my avatar is about to change", { author: "alice", who: "bob after reload" });
    await waitFor(
      async () => {
        const i = await imgOf(bobMsgAvatar);
        return i && i.src && i.src.startsWith("/avatars/") && i.loaded;
      },
      { what: "bob after reload: alice's avatar next to her message" },
    );
  });

  browserTest(fx, "a file that is not an image is refused with an error", async () => {
    const alice = await fx.newUser("alice");
    await signInToGeneral(fx, alice, "alice");
    const file = path.join(fx.dir, "not-an-image.png");
    await writeFile(file, "this is not a PNG at all\n".repeat(20));
    const before = await alice.getByTestId("own-avatar").getAttribute("src");
    await alice.getByTestId("avatar-input").setInputFiles(file);
    await waitVisible(alice.getByTestId("avatar-error"), "alice: avatar-error");
    assert.ok((await alice.getByTestId("avatar-error").textContent()).trim().length > 0, "the error says something");
    assert.equal(await alice.getByTestId("own-avatar").getAttribute("src"), before, "the avatar is unchanged");
  });
});
