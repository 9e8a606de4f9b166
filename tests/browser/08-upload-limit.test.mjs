// An avatar over the 5 MiB limit: the UI says so, and when the server refuses a body before
// reading it, Chromium still reads the 413 (the server drains instead of resetting: issue #9).
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { browserSuite, browserTest, signInToGeneral, waitVisible } from "./setup.mjs";

browserSuite("upload limits", (fx) => {
  browserTest(fx, "a 6 MiB avatar: the UI says it is too large, and Chromium gets the server's 413", async () => {
    const alice = await fx.newUser("alice");
    await signInToGeneral(fx, alice, "alice");

    const file = path.join(fx.dir, "big.png");
    await writeFile(file, Buffer.alloc(6 * 1024 * 1024, 1));
    await alice.getByTestId("avatar-input").setInputFiles(file);
    await waitVisible(alice.getByTestId("avatar-error"), "alice: avatar-error");
    assert.match(await alice.getByTestId("avatar-error").textContent(), /too large/i);

    // The same upload straight from the page's own networking, past the UI's size check.
    const result = await alice.evaluate(async () => {
      const form = new FormData();
      form.append("avatar", new Blob([new Uint8Array(6 * 1024 * 1024)], { type: "image/png" }), "big.png");
      try {
        const res = await fetch("/api/avatar", { method: "POST", body: form });
        return { status: res.status, body: await res.text() };
      } catch (e) {
        return { error: String(e) };
      }
    });
    assert.equal(result.error, undefined, `the browser saw a network error instead of an answer: ${result.error}`);
    assert.equal(result.status, 413);
    assert.equal(JSON.parse(result.body).error, "too_large");
  });
});
