/**
 * The rest of the page in a real browser: the API key with its tool addresses, the pod's idle warning,
 * GPUs and disks, a queued install on its card, the LoRA-Tool's JSON log made readable, and on a phone the
 * admin panel one tap from the top with the output's buttons on one line.
 */
import { describe, expect, it } from "vitest";
import { hasChromium } from "../helpers/browser.js";
import { install, jobMode } from "../helpers/studio.js";
import {
  adminMode,
  card,
  json,
  openPage,
  PHONE,
  pick,
  problemsOf,
  serve,
  terminalText,
  useBrowser,
  waitForOutput,
} from "./page.js";

useBrowser();

const ROSA = "Rosa Macak Cizmesija";
const GB = 1_000_000_000;

describe.skipIf(!hasChromium)("the rest of the page", () => {
  it("shows the artist's API key with each tool's address, copies it and replaces it", async () => {
    const entry = await serve();
    const page = await openPage(entry);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: entry.base });
    await page.locator("#key-panel summary").click();
    await page.locator("#key-hint").filter({ hasText: "Pick your name first" }).waitFor();
    await pick(page, ROSA);
    await page.locator("#key-body").waitFor();
    const key = await entry.s.studio.keys.forArtist(ROSA);
    expect(await page.locator("#api-key").inputValue()).toBe(key);
    const comfyUrl = `http://127.0.0.1:${entry.s.config.toolPorts["comfy-ui"]}/k/${key}`;
    expect(await page.locator("#key-urls li", { hasText: "ComfyUI" }).locator("code").textContent()).toBe(
      comfyUrl,
    );
    await page.getByRole("button", { name: "Copy the ComfyUI address" }).click();
    await page.locator("#key-copied").filter({ hasText: "Copied." }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(comfyUrl);

    await page.getByRole("button", { name: "Replace key" }).click();
    await page.locator("#confirm-ok").click();
    await page.waitForFunction(
      (old) => (document.getElementById("api-key") as HTMLInputElement).value !== old,
      key,
    );
    const replaced = await page.locator("#api-key").inputValue();
    expect(replaced).toBe(await entry.s.studio.keys.forArtist(ROSA));
    expect(await page.locator("#key-urls code").first().textContent()).toContain(`/k/${replaced}`);
    expect(problemsOf(entry)).toEqual([]);
  });

  it("warns every open page before the pod stops, and keeps it running", async () => {
    const entry = await serve();
    const page = await openPage(entry);
    let stopAt: string | null = new Date(Date.now() + 3 * 60_000).toISOString();
    let kept: unknown = null;
    await page.route("**/pod", (route) =>
      json(route, {
        success: true,
        idle_since: new Date().toISOString(),
        stop_at: stopAt,
        stop_enabled: true,
      }),
    );
    await page.route("**/keep_alive", async (route) => {
      kept = route.request().postDataJSON();
      stopAt = null;
      await json(route, { success: true });
    });
    await page.reload();
    const banner = page.locator("#pod-warning");
    await banner.waitFor();
    expect(await page.locator("#pod-warning-text").textContent()).toMatch(
      /The pod stops in (2 min \d+ s|3 min)/,
    );
    await pick(page, ROSA);
    await page.getByRole("button", { name: "Keep the pod running" }).click();
    await banner.waitFor({ state: "hidden" });
    expect(kept).toEqual({});
    expect(problemsOf(entry)).toEqual([]);
  });

  it("shows GPUs and disks while the panel is open, and warns when the volume is over 90 % full", async () => {
    const entry = await serve();
    const page = await openPage(entry);
    let used = 10_000;
    await page.route("**/system", (route) =>
      json(route, {
        success: true,
        gpus: [
          {
            index: 0,
            name: "NVIDIA RTX A6000",
            memory_total_mb: 49_140,
            memory_used_mb: used,
            utilization_pct: 37,
            processes: [{ pid: 4100, used_mb: used, tool_id: "comfy-ui" }],
          },
          {
            index: 1,
            name: "NVIDIA RTX A6000",
            memory_total_mb: 49_140,
            memory_used_mb: 0,
            utilization_pct: 0,
            processes: [],
          },
        ],
        disks: [
          { path: "/workspace", total_bytes: 100 * GB, free_bytes: 4 * GB },
          { path: "/", total_bytes: 50 * GB, free_bytes: 30 * GB },
        ],
      }),
    );
    await page.reload();
    const warning = page.locator("#disk-warning");
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/The volume \/workspace is 96 % full \(4\.00 GB free\)/);
    expect(await page.locator("#system-summary").textContent()).toBe("2 GPUs · volume 96 % full");
    await page.locator("#system-panel summary").click();
    const gpu0 = page.locator("#gpus li").first();
    expect(await gpu0.textContent()).toMatch(
      /GPU 0 · NVIDIA RTX A6000.*10\.0 GB of 49\.1 GB · 37 % busy · ComfyUI 10\.0 GB/,
    );
    used = 30_000;
    await page
      .locator("#gpus li")
      .first()
      .filter({ hasText: "30.0 GB of 49.1 GB" })
      .waitFor({ timeout: 4000 });
    expect(await page.locator("#disks li").allTextContents()).toEqual([
      expect.stringMatching(/^\/workspace4\.00 GB free of 100 GB · 96 % used$/),
      expect.stringMatching(/^\/30\.0 GB free of 50\.0 GB · 40 % used$/),
    ]);
    expect(problemsOf(entry)).toEqual([]);
  });

  it("shows a queued install as queued on its card, and the LoRA-Tool's JSON log readably", async () => {
    const entry = await serve();
    jobMode(entry.s.dirs, "install_swarm_ui", "hang");
    const page = await openPage(entry);
    await adminMode(page);
    await page.getByRole("button", { name: "Install SwarmUI", exact: true }).click();
    await card(page, "swarm-ui").locator(".badge-text").filter({ hasText: "Installing…" }).waitFor();
    await page.getByRole("button", { name: "Install ComfyUI", exact: true }).click();
    const comfy = card(page);
    await comfy.locator(".badge-text").filter({ hasText: "Install queued" }).waitFor();
    expect(await comfy.getAttribute("data-state")).toBe("queued");
    expect(await comfy.locator(".tool-note").textContent()).toBe(
      "Install queued (asked by Razvan Matei); start it when that job has run.",
    );

    await card(page, "lora-tool").getByRole("button", { name: "Show the log of LoRA-Tool" }).click();
    const log = entry.s.studio.logs.get("lora-tool.log");
    const at = Date.UTC(2026, 0, 2, 9, 30, 5);
    await log.append(
      `${JSON.stringify({ level: 30, time: at, pid: 7, hostname: "pod", name: "lora-tool", msg: "listening", port: 3000 })}\n` +
        `${JSON.stringify({ level: 50, time: at, pid: 7, hostname: "pod", msg: "caption failed", dataset: "cats", err: { message: "timeout" } })}\n` +
        "a plain line\n",
    );
    await waitForOutput(page, "a plain line");
    const text = await terminalText(page);
    expect(text).toMatch(/\d\d:\d\d:05 INFO {2}listening port=3000\n/);
    expect(text).toMatch(/ERROR caption failed dataset=cats err="timeout"\n/);
    expect(text).not.toContain('{"level"');
    expect(problemsOf(entry)).toEqual([]);
  });

  it("on a phone: the admin panel one tap from the top, and Copy and Clear on the source's line", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    const page = await openPage(entry, PHONE);
    expect(await page.locator("#admin-link").isVisible()).toBe(false);
    await adminMode(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByRole("link", { name: "Admin" }).click();
    await page.waitForFunction(() => {
      const top = document.getElementById("admin-panel")!.getBoundingClientRect().top;
      return top >= -1 && top < 120;
    });
    const [source, copy, clear] = await Promise.all(
      ["#log-source", "#log-copy", "#log-clear"].map((id) => page.locator(id).boundingBox()),
    );
    expect(Math.abs(clear!.y - copy!.y)).toBeLessThan(2);
    expect(Math.abs(clear!.y + clear!.height / 2 - (source!.y + source!.height / 2))).toBeLessThan(4);
    expect(clear!.x + clear!.width).toBeLessThanOrEqual(PHONE.width);
    expect(problemsOf(entry)).toEqual([]);
  });
});
