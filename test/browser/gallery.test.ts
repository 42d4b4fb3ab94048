/**
 * The gallery in a real browser: one's own outputs newest first and live, full size, downloads of one
 * file and of a selection, deletes of one's own; someone else's gallery to look at, deletable only in
 * admin mode; and a phone-sized screen.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { hasChromium } from "../helpers/browser.js";
import { outputOf, png, put } from "../gallery/helpers.js";
import {
  adminMode,
  noHorizontalScroll,
  openPage,
  PHONE,
  pick,
  problemsOf,
  serve,
  shot,
  useBrowser,
  type Served,
} from "./page.js";

useBrowser();

const ROSA = "Rosa Macak Cizmesija";
const ZOE = "Zoë Šimić";
const tiles = (page: Page) => page.locator("#gallery .tile");
const names = (page: Page) => page.locator("#gallery .tile-name").allTextContents();

async function withRenders(entry: Served): Promise<void> {
  const now = Date.now();
  const colours = ["#c8553d", "#2d6a4f", "#264653", "#e9c46a", "#7c5cff", "#e0569b"];
  for (const [i, colour] of colours.entries()) {
    put(
      outputOf(entry.s, ROSA),
      `ComfyUI_0000${i + 1}_.png`,
      await png(768, 512, colour),
      now - (10 - i) * 60_000,
    );
  }
  put(outputOf(entry.s, ROSA), "clips/walk.mp4", "not a real video", now - 30_000);
}

/** Saves a download and answers the file's path (removed with its folder after the test). */
async function saved(
  page: Page,
  click: () => Promise<void>,
  dirs: string[],
): Promise<{ file: string; name: string }> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  const dir = mkdtempSync(path.join(os.tmpdir(), "gallery-download-"));
  dirs.push(dir);
  const file = path.join(dir, download.suggestedFilename());
  await download.saveAs(file);
  return { file, name: download.suggestedFilename() };
}

describe.skipIf(!hasChromium)("the gallery", () => {
  it("shows one's renders newest first, live, full size, and downloads one or a selection", async () => {
    const entry = await serve();
    await withRenders(entry);
    const page = await openPage(entry);
    await expect(page.locator("#gallery-empty").textContent()).resolves.toMatch(/Pick your name/);
    await pick(page, ROSA);
    await tiles(page).nth(6).waitFor();
    expect(await names(page)).toEqual([
      "walk.mp4",
      "ComfyUI_00006_.png",
      "ComfyUI_00005_.png",
      "ComfyUI_00004_.png",
      "ComfyUI_00003_.png",
      "ComfyUI_00002_.png",
      "ComfyUI_00001_.png",
    ]);
    // Every thumbnail loads: pictures from sharp, the video (no ffmpeg here) as an icon.
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>("#gallery img")).every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    );
    expect(await page.locator("#gallery .tile").first().getAttribute("data-kind")).toBe("video");

    // A new render shows up within 2 s, at the top.
    put(outputOf(entry.s, ROSA), "ComfyUI_00007_.png", await png(640, 640, "#111111"));
    await page
      .locator("#gallery .tile-name")
      .first()
      .filter({ hasText: "ComfyUI_00007_.png" })
      .waitFor({ timeout: 2000 });
    await shot(page.locator("#gallery-panel"), "gallery");

    // Full size, with the arrow keys to go on.
    await page.getByRole("button", { name: "Open ComfyUI_00006_.png" }).click();
    const viewer = page.locator("#viewer");
    await viewer.waitFor();
    await page.waitForFunction(
      () => (document.querySelector<HTMLImageElement>("#viewer-stage img")?.naturalWidth ?? 0) === 768,
    );
    expect(await page.locator("#viewer-meta").textContent()).toMatch(/768 × 512/);
    await page.keyboard.press("ArrowRight");
    await page.locator("#viewer-title").filter({ hasText: "ComfyUI_00005_.png" }).waitFor();
    const dirs: string[] = [];
    try {
      const one = await saved(page, () => page.locator("#viewer-download").click(), dirs);
      expect(one.name).toBe("ComfyUI_00005_.png");
      await page.keyboard.press("Escape");
      await viewer.waitFor({ state: "hidden" });

      await page.getByRole("checkbox", { name: "Select ComfyUI_00001_.png" }).check();
      await page.getByRole("checkbox", { name: "Select clips/walk.mp4" }).check();
      expect(await page.locator("#gallery-count").textContent()).toMatch(/2 selected/);
      const zip = await saved(
        page,
        () => page.getByRole("button", { name: "Download selected" }).click(),
        dirs,
      );
      expect(zip.name).toBe(`${ROSA} selection.zip`);
      const { stdout } = await execa("zipinfo", ["-1", zip.file]);
      expect(stdout.split("\n").sort()).toEqual([`${ROSA}/ComfyUI_00001_.png`, `${ROSA}/clips/walk.mp4`]);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
    expect(problemsOf(entry)).toEqual([]);
  });

  it("deletes one's own files; another artist may look but delete only in admin mode", async () => {
    const entry = await serve();
    await withRenders(entry);
    const page = await openPage(entry);
    await pick(page, ROSA);
    await tiles(page).nth(6).waitFor();
    await page.getByRole("checkbox", { name: "Select ComfyUI_00002_.png" }).check();
    await page.getByRole("checkbox", { name: "Select ComfyUI_00003_.png" }).check();
    await page.getByRole("button", { name: "Delete selected" }).click();
    expect(await page.locator("#confirm-title").textContent()).toBe("Delete 2 files?");
    await page.locator("#confirm-ok").click();
    await page.waitForFunction(() => document.querySelectorAll("#gallery .tile").length === 5);
    expect(existsSync(path.join(outputOf(entry.s, ROSA), "ComfyUI_00002_.png"))).toBe(false);

    // Zoë sees her own (empty) gallery, then Rosa's, without a Delete.
    const other = await openPage(entry);
    await pick(other, ZOE);
    await other.locator("#gallery-empty").filter({ hasText: "Nothing here yet" }).waitFor();
    await other.selectOption("#gallery-artist", ROSA);
    await tiles(other).nth(4).waitFor();
    expect(await other.locator("#gallery-delete").isVisible()).toBe(false);
    await other.getByRole("button", { name: "Open ComfyUI_00004_.png" }).click();
    expect(await other.locator("#viewer-delete").isVisible()).toBe(false);
    await other.keyboard.press("Escape");

    // Rosa deletes one in her viewer: Zoë's page follows.
    await page.getByRole("button", { name: "Open ComfyUI_00004_.png" }).click();
    await page.locator("#viewer-delete").click();
    await page.locator("#confirm-ok").click();
    await page
      .locator("#viewer-title")
      .filter({ hasText: "ComfyUI_00003_.png" })
      .or(page.locator("#viewer-title").filter({ hasText: "ComfyUI_00001_.png" }))
      .waitFor();
    await other.waitForFunction(() => document.querySelectorAll("#gallery .tile").length === 4, undefined, {
      timeout: 2000,
    });
    await page.keyboard.press("Escape");

    // An admin in admin mode may delete Rosa's files.
    const admin = await openPage(entry);
    await adminMode(admin);
    await admin.selectOption("#gallery-artist", ROSA);
    await tiles(admin).nth(3).waitFor();
    expect(await admin.locator("#gallery-delete").isVisible()).toBe(true);
    expect(problemsOf(entry)).toEqual([]);
  });

  it("fits a phone, with the gallery reachable from the top", async () => {
    const entry = await serve();
    await withRenders(entry);
    const page = await openPage(entry, PHONE);
    await pick(page, ROSA);
    await tiles(page).nth(6).waitFor();
    await page.getByRole("link", { name: "Gallery" }).click();
    await page.waitForFunction(() => {
      const box = document.getElementById("gallery-panel")!.getBoundingClientRect();
      return box.top >= -1 && box.top < window.innerHeight / 2;
    });
    await noHorizontalScroll(page);
    const first = await tiles(page).first().boundingBox();
    expect(first!.width).toBeGreaterThan(90);
    expect(problemsOf(entry)).toEqual([]);
  });
});
