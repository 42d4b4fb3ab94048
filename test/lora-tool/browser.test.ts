/// <reference lib="dom" />
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import path from "node:path";
import { execa } from "execa";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectProblems, hasChromium, launchBrowser } from "../helpers/browser.js";
import { freePort } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { buildKit, isStale, makeApp, makeDirs, png, type TestDirs } from "./helpers.js";

const REPO = path.resolve(import.meta.dirname, "..", "..");
const PAGE_CONFIG = path.join(REPO, "lora-tool", "public", "tsconfig.json");
const PAGE_BUILD = path.join(REPO, "dist", "lora-tool", "browser", ".tsbuildinfo");
const PAGE_SOURCES = [path.join(REPO, "lora-tool", "public"), path.join(REPO, "lora-tool")];

/** Builds the browser script (and the kit's browser modules it imports) when it is older than its sources. */
async function buildPageScript(): Promise<void> {
  await buildKit();
  if (!isStale(PAGE_BUILD, PAGE_SOURCES)) return;
  await execa("npx", ["tsc", "-b", PAGE_CONFIG], { cwd: REPO });
}

describe.skipIf(!hasChromium)("the LoRA-Tool page in a browser", () => {
  let dirs: TestDirs;
  let server: Server;
  let browser: Browser;
  let base: string;
  let lora: ReturnType<typeof makeApp>;

  beforeAll(async () => {
    await buildPageScript();
    dirs = await makeDirs();
    lora = makeApp(dirs);
    const port = await freePort();
    server = await new Promise<Server>((resolve) => {
      const listening = lora.app.listen(port, "127.0.0.1", () => resolve(listening));
    });
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await lora?.shutdown();
    await dirs?.cleanup();
  });

  const catsDir = () => path.join(dirs.datasetsDir, "cats");
  const readCaption = async (name: string) => {
    const file = path.join(catsDir(), name);
    return existsSync(file) ? await readFile(file, "utf8") : null;
  };

  async function openPage(width: number): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: "dark" });
    const page = await context.newPage();
    const problems = collectProblems(page);
    page.on("requestfailed", (failed) => problems.push(`request failed: ${failed.url()}`));
    await page.goto(base);
    return { page, problems };
  }

  it("creates a dataset, uploads images, autosaves a caption and applies a trigger word", async () => {
    const { page, problems } = await openPage(1280);
    await page.getByLabel("New dataset name").fill("cats");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "cats", level: 2 }).waitFor();
    expect(page.url()).toBe(`${base}/#cats`);

    await page.locator("#file-input").setInputFiles([
      { name: "cat_01.png", mimeType: "image/png", buffer: await png(120, 90, "#ff0000") },
      { name: "cat_02.png", mimeType: "image/png", buffer: await png(90, 120, "#0000ff") },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image") },
    ]);
    await page.locator(".card").nth(1).waitFor();
    await page.locator(".card").first().scrollIntoViewIfNeeded();
    await expect
      .poll(() => page.locator("#upload-errors li").allTextContents())
      .toEqual(['"notes.txt" is not a .jpg, .jpeg, .png or .webp file.']);
    expect(await page.locator("#upload-status").textContent()).toMatch(/Added 2 images; 1 refused/);
    expect((await readdir(catsDir())).sort()).toEqual(["cat_01.png", "cat_02.png"]);
    await expect
      .poll(() =>
        page
          .locator("img.thumb")
          .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth)),
      )
      .toEqual([120, 90]);
    expect(await page.locator(".card .image-meta").first().textContent()).toMatch(/^120×90 px · \d+ B$/);

    const first = page.getByLabel("Caption for cat_01.png");
    await first.click();
    await page.keyboard.type("a red cat");
    await waitFor(async () => (await readCaption("cat_01.txt")) === "a red cat", {
      what: "the autosaved caption on disk",
    });
    await expect
      .poll(() => page.locator(".card").first().locator(".caption-status").textContent())
      .toBe("Saved");
    await expect.poll(() => page.locator("#stats").textContent()).toContain("Without caption1");

    await page.getByLabel("Trigger word").fill("ohwx");
    await page.getByRole("button", { name: "Add to every caption" }).click();
    await waitFor(async () => (await readCaption("cat_02.txt")) === "ohwx", {
      what: "the trigger word on disk",
    });
    expect(await readCaption("cat_01.txt")).toBe("ohwx, a red cat");
    await expect.poll(() => first.inputValue()).toBe("ohwx, a red cat");
    expect(await page.locator("#trigger-status").textContent()).toMatch(/changed/);

    // Applying it again changes nothing.
    await page.getByRole("button", { name: "Add to every caption" }).click();
    await expect.poll(() => page.locator("#trigger-status").textContent()).toMatch(/0 changed/);
    expect(await readCaption("cat_01.txt")).toBe("ohwx, a red cat");

    expect(problems).toEqual([]);

    // A bad name is explained next to the field (the browser logs the refused request itself).
    await page.getByLabel("New dataset name").fill("../evil");
    await page.getByRole("button", { name: "Create" }).click();
    await expect.poll(() => page.locator("#create-error").textContent()).toMatch(/slash|'\.\.'/);
    expect(await page.getByLabel("New dataset name").getAttribute("aria-invalid")).toBe("true");
    expect(problems).toEqual([
      "console: Failed to load resource: the server responded with a status of 400 (Bad Request)",
    ]);
    await page.context().close();
  });

  it("fits a 360 px screen, works from the keyboard and deletes to the trash after confirming", async () => {
    const { page, problems } = await openPage(360);
    await page.goto(`${base}/#cats`);
    await page.locator(".card").nth(1).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // The images come right after the uploads, before the auto-caption settings.
    const top = (heading: string) =>
      page.evaluate(
        (id) => document.querySelector(`[aria-labelledby="${id}"]`)!.getBoundingClientRect().top,
        heading,
      );
    expect(await top("images-heading")).toBeLessThan(await top("auto-heading"));
    expect(await top("images-heading")).toBeLessThan(await top("stats-heading"));

    // The first Tab reaches the skip link, with a visible focus ring.
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const active = document.activeElement as HTMLElement;
      return { text: active.textContent, outline: getComputedStyle(active).outlineStyle };
    });
    expect(focused).toEqual({ text: "Skip to the dataset", outline: "solid" });

    await page.getByRole("button", { name: "Delete…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(existsSync(catsDir())).toBe(true);

    await page.getByRole("button", { name: "Delete…" }).click();
    await dialog.getByRole("button", { name: "Delete dataset" }).click();
    await expect
      .poll(() => page.locator("#sidebar-status").textContent())
      .toContain('Moved "cats" to the trash');
    expect(existsSync(catsDir())).toBe(false);
    expect(await readdir(path.join(dirs.datasetsDir, ".trash"))).toHaveLength(1);
    expect(await page.locator("#dataset-list li").count()).toBe(0);

    expect(problems).toEqual([]);
    await page.context().close();
  });
});
