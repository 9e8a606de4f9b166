// Sign-in errors and sign-out.
import assert from "node:assert/strict";
import {
  browserSuite,
  browserTest,
  signIn,
  signInToGeneral,
  waitFor,
  waitHidden,
  waitInGeneral,
  waitVisible,
} from "./setup.mjs";

browserSuite("sign-in and sign-out", (fx) => {
  browserTest(fx, "wrong password shows an error, sign-out returns to the sign-in form", async () => {
    const page = await fx.newUser("carol");
    // First sign-in creates the account.
    await signInToGeneral(fx, page, "carol", "carol-right-password");
    assert.ok(await page.getByTestId("signin-name").isHidden(), "the sign-in form is gone once signed in");

    // Sign out: back to the sign-in form, and the session is gone (a reload stays signed out).
    await page.getByTestId("signout-button").click();
    await waitVisible(page.getByTestId("signin-name"), "sign-in form after sign-out");
    await waitHidden(page.getByTestId("composer-input"), "composer after sign-out");
    assert.ok(await page.getByTestId("signin-error").isHidden(), "a clean sign-out shows no error");
    await page.reload();
    await waitVisible(page.getByTestId("signin-name"), "sign-in form after sign-out and reload");
    assert.ok(await page.getByTestId("composer-input").isHidden(), "still signed out after a reload");

    // Wrong password: an error, and still on the sign-in form.
    await signIn(fx, page, "carol", "not-the-password");
    await waitVisible(page.getByTestId("signin-error"), "signin-error after a wrong password");
    const error = (await page.getByTestId("signin-error").textContent()).trim();
    assert.ok(error.length > 0, "the error has a text");
    assert.ok(await page.getByTestId("composer-input").isHidden(), "not signed in with a wrong password");
    assert.ok(!(await page.getByTestId("signin-submit").isDisabled()), "the form can be submitted again");

    // The right password works (the error goes away).
    await page.getByTestId("signin-password").fill("carol-right-password");
    await page.getByTestId("signin-submit").click();
    await waitInGeneral(page, "carol");
    await waitFor(async () => (await page.getByTestId("own-name").textContent()) === "carol", { what: "own name carol" });

    // Signing out and in again shows no stale error.
    await page.getByTestId("signout-button").click();
    await waitVisible(page.getByTestId("signin-name"), "sign-in form after the second sign-out");
    assert.ok(await page.getByTestId("signin-error").isHidden(), "no stale sign-in error after sign-out");
  });

  browserTest(fx, "sign out everywhere ends the account's other devices too", async () => {
    const laptop = await fx.newUser("erin");
    const phone = await fx.newUser("erin-phone");
    await signInToGeneral(fx, laptop, "erin", "erin-right-password");
    await signInToGeneral(fx, phone, "erin", "erin-right-password");
    await laptop.getByTestId("signout-all-button").click();
    await waitVisible(laptop.getByTestId("signin-name"), "sign-in form on the device that signed out");
    assert.ok(await laptop.getByTestId("signin-error").isHidden(), "a clean sign-out shows no error");
    // The other device's socket is ended by the server; it finds its session gone.
    await waitVisible(phone.getByTestId("signin-name"), "sign-in form on the other device");
    await waitHidden(phone.getByTestId("composer-input"), "composer on the other device");
    await phone.reload();
    await waitVisible(phone.getByTestId("signin-name"), "still signed out on the other device after a reload");
  });

  browserTest(fx, "empty fields are refused in the form", async () => {
    const page = await fx.newUser("dave");
    await page.goto(fx.url + "/");
    await waitVisible(page.getByTestId("signin-name"), "sign-in form");
    await page.getByTestId("signin-submit").click();
    await waitVisible(page.getByTestId("signin-error"), "signin-error for an empty name");
    await page.getByTestId("signin-name").fill("dave");
    await page.getByTestId("signin-submit").click();
    await waitFor(async () => /password/i.test(await page.getByTestId("signin-error").textContent()), {
      what: "signin-error asks for a password",
    });
    assert.ok(await page.getByTestId("composer-input").isHidden(), "not signed in");
  });
});
