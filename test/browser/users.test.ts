/**
 * Users from the page in a real browser: an admin adds, renames, makes admin and removes users; every
 * open page's name picker follows within 2 s, a hand edit of the users file too; the last admin stays.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { hasChromium } from "../helpers/browser.js";
import { adminMode, openPage, pick, problemsOf, serve, useBrowser } from "./page.js";

useBrowser();

const pickerNames = (page: Page) =>
  page.evaluate(() =>
    Array.from((document.getElementById("artist") as HTMLSelectElement).options)
      .map((option) => option.textContent ?? "")
      .slice(1),
  );

async function waitPicker(page: Page, wanted: string[], timeout = 2000): Promise<void> {
  await page.waitForFunction(
    (names) =>
      JSON.stringify(
        Array.from((document.getElementById("artist") as HTMLSelectElement).options)
          .slice(1)
          .map((option) => option.textContent),
      ) === JSON.stringify(names),
    wanted,
    { timeout },
  );
}

const row = (page: Page, name: string) =>
  page.locator("#users .user", { has: page.getByText(name, { exact: true }) });

describe.skipIf(!hasChromium)("users from the page", () => {
  it("adds, renames, makes admin and removes; other open pages follow within 2 s", async () => {
    const entry = await serve();
    const admin = await openPage(entry);
    await adminMode(admin);
    const other = await openPage(entry);
    await pick(other, "Zoë Šimić");
    expect(await pickerNames(other)).toEqual(["Rosa Macak Cizmesija", "Razvan Matei (admin)", "Zoë Šimić"]);

    await admin.getByLabel("New user").fill("Karlo Babić");
    await admin.getByRole("button", { name: "Add", exact: true }).click();
    await row(admin, "Karlo Babić").waitFor();
    expect(readFileSync(entry.s.dirs.usersFile, "utf8")).toContain("Karlo Babić");
    await waitPicker(other, ["Rosa Macak Cizmesija", "Razvan Matei (admin)", "Zoë Šimić", "Karlo Babić"]);

    await row(admin, "Karlo Babić").getByRole("button", { name: "Make Karlo Babić an admin" }).click();
    await row(admin, "Karlo Babić").locator(".tag").waitFor();
    await row(admin, "Rosa Macak Cizmesija")
      .getByRole("button", { name: "Rename Rosa Macak Cizmesija" })
      .click();
    const input = admin.getByLabel("New name for Rosa Macak Cizmesija");
    await input.fill("Rosa Macak");
    await input.press("Enter");
    await row(admin, "Rosa Macak").waitFor();
    await waitPicker(other, ["Rosa Macak", "Razvan Matei (admin)", "Zoë Šimić", "Karlo Babić (admin)"]);

    // Removing asks first; Zoë's own page goes back to "pick your name".
    await row(admin, "Zoë Šimić").getByRole("button", { name: "Remove Zoë Šimić" }).click();
    expect(await admin.locator("#confirm-body").textContent()).toMatch(
      /output folder and everything in it stay/,
    );
    await admin.locator("#confirm-ok").click();
    await other.waitForFunction(() => document.body.dataset.artist === "", undefined, { timeout: 2000 });
    await other.locator("#pick-hint").waitFor();

    // The last admin stays: the studio's sentence shows beside the row.
    await row(admin, "Karlo Babić").getByRole("button", { name: "Take admin from Karlo Babić" }).click();
    await row(admin, "Karlo Babić").locator(".tag").waitFor({ state: "hidden" });
    await row(admin, "Razvan Matei").getByRole("button", { name: "Remove Razvan Matei" }).click();
    await admin.locator("#confirm-ok").click();
    await row(admin, "Razvan Matei")
      .locator(".field-error")
      .filter({ hasText: /last admin/ })
      .waitFor();

    // A bad name is refused with the studio's sentence, and nothing is added.
    await admin.getByLabel("New user").fill("../etc");
    await admin.getByRole("button", { name: "Add", exact: true }).click();
    await admin
      .locator("#users-error")
      .filter({ hasText: /cannot be used/ })
      .waitFor();
    expect(problemsOf(entry, [/status of 409/, /status of 400/])).toEqual([]);
  });

  it("follows a hand edit of the users file within 2 s, warnings included", async () => {
    const entry = await serve();
    const page = await openPage(entry);
    await pick(page, "Rosa Macak Cizmesija");
    writeFileSync(
      entry.s.dirs.usersFile,
      'USERS=(\n  "Rosa Macak Cizmesija"\n  "Razvan Matei:admin"\n  "Iva Kos"\n)\n',
    );
    await waitPicker(page, ["Rosa Macak Cizmesija", "Razvan Matei (admin)", "Iva Kos"]);
    expect(await page.locator("#artist").inputValue()).toBe("Rosa Macak Cizmesija");
    writeFileSync(entry.s.dirs.usersFile, 'USERS=(\n  "Rosa Macak Cizmesija"\n  "bad/name"\n)\n');
    await page.locator("#users-warnings .banner", { hasText: /bad\/name/ }).waitFor({ timeout: 2000 });
    await waitPicker(page, ["Rosa Macak Cizmesija"]);
    expect(problemsOf(entry)).toEqual([]);
  });
});
