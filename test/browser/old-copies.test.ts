/**
 * The admin panel's old copies in a real browser: each with its tool, age and size once measured; Delete
 * asks first, runs the real script as a job the output follows, and the list empties when it is done.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hasChromium } from "../helpers/browser.js";
import { makeDirs, oldCopy, withRealSetup } from "../helpers/studio.js";
import {
  adminMode,
  noHorizontalScroll,
  openPage,
  PHONE,
  problemsOf,
  serve,
  useBrowser,
  waitForOutput,
} from "./page.js";

useBrowser();

const NAME = "ai-toolkit.old-20261201-101500-1";

describe.skipIf(!hasChromium)("old copies", () => {
  it("are listed with their size, deleted after a question, and the output follows the delete", async () => {
    const dirs = await makeDirs();
    withRealSetup(dirs, ["old-copies", "lib"]);
    oldCopy(dirs, NAME, 2_500_000);
    const entry = await serve({ dirs });
    const page = await openPage(entry);
    await adminMode(page);
    const row = page.locator(".old-copy", { hasText: NAME });
    await row
      .locator(".old-copy-facts")
      .filter({ hasText: /^AI-Toolkit · set aside \d+ (s|min|h|days)( \d+ (s|min))? ago · 2\.\d+ MB$/ })
      .waitFor();
    expect(await page.locator("#old-copies-empty").isVisible()).toBe(false);

    // Asked first: cancelling keeps it.
    await row.getByRole("button", { name: `Delete ${NAME}` }).click();
    expect(await page.locator("#confirm-title").textContent()).toBe(`Delete ${NAME}?`);
    expect(await page.locator("#confirm-body").textContent()).toMatch(
      /old copy of AI-Toolkit .* frees 2\.\d+ MB/,
    );
    await page.locator("#confirm-cancel").click();
    expect(existsSync(path.join(dirs.workspace, NAME))).toBe(true);

    await row.getByRole("button", { name: `Delete ${NAME}` }).click();
    await page.locator("#confirm-ok").click();
    await waitForOutput(page, `deleted ${NAME}`);
    expect(await page.locator("#log-source-title").textContent()).toBe(`Job: Delete ${NAME}`);
    await page.locator("#old-copies-empty").waitFor();
    expect(await page.locator(".old-copy").count()).toBe(0);
    expect(existsSync(path.join(dirs.workspace, NAME))).toBe(false);
    expect(await page.locator(".job", { hasText: `Delete ${NAME}` }).textContent()).toMatch(/Succeeded/);
    expect(problemsOf(entry)).toEqual([]);
  });

  it("fit a phone's width with a long name", async () => {
    const dirs = await makeDirs();
    oldCopy(dirs, NAME, 1000);
    oldCopy(dirs, "ComfyUI.old-20261201-101500-1-1-1-1-1-1-1", 1000);
    const entry = await serve({ dirs });
    const page = await openPage(entry, PHONE);
    await adminMode(page);
    await page.locator(".old-copy-facts", { hasText: /B$/ }).first().waitFor();
    expect(await page.locator(".old-copy").count()).toBe(2);
    await noHorizontalScroll(page);
    expect(problemsOf(entry)).toEqual([]);
  });
});
