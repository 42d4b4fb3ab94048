/**
 * The studio in a real browser for the page's tests: a served test studio, fresh browser contexts that
 * collect console errors and CSP violations, stand-ins for the idle and system endpoints where this
 * studio does not have them yet, and screenshots for the README (only with SCREENSHOTS=1).
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { APIResponse, Browser, BrowserContext, Locator, Page, Route } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { collectProblems, hasChromium, launchBrowser } from "../helpers/browser.js";
import { removeDirs, startTestStudio, type TestStudio } from "../helpers/studio.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 360, height: 740 };

export interface Served {
  s: TestStudio;
  server: Server;
  base: string;
  contexts: BrowserContext[];
  problems: string[][];
}

let browser: Browser;
const served: Served[] = [];

/** Sets up the browser and cleans every served studio after each test; call once per test file. */
export function useBrowser(): void {
  beforeAll(async () => {
    await execa("npx", ["tsc", "-p", "server/public/tsconfig.json"], { cwd: ROOT });
    if (hasChromium) browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    for (const entry of served.splice(0)) {
      for (const context of entry.contexts) {
        // A route handler still awaiting the studio when its page closes would throw "Response has been disposed".
        for (const page of context.pages())
          await page.unrouteAll({ behavior: "ignoreErrors" }).catch(() => undefined);
        await context.close().catch(() => undefined);
      }
      for (const supervisor of entry.s.studio.manager.all()) await supervisor.stop("test clean-up");
      for (const job of entry.s.studio.jobs.list()) {
        if (job.status === "queued" || job.status === "running")
          await entry.s.studio.jobs.cancel(job.job_id, "test clean-up");
      }
      entry.server.closeAllConnections();
      await new Promise((resolve) => entry.server.close(resolve));
      await entry.s.close();
      removeDirs(entry.s.dirs);
    }
  });
}

export async function serve(options: Parameters<typeof startTestStudio>[0] = {}): Promise<Served> {
  const s = await startTestStudio(options);
  const server = s.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const entry: Served = { s, server, base: `http://127.0.0.1:${port}`, contexts: [], problems: [] };
  served.push(entry);
  return entry;
}

/** Collects console errors and page errors, and reports every CSP violation as a console error. */
export async function watch(entry: Served, page: Page): Promise<void> {
  const problems = collectProblems(page);
  entry.problems.push(problems);
  page.on("console", (message) => {
    if (message.type() === "warning" && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(`csp: ${message.text()}`);
    }
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
}

/** What a studio without idle stops or GPU readings would say. */
const QUIET: Record<string, unknown> = {
  "/pod": { success: true, idle_since: null, stop_at: null, stop_enabled: false },
  "/system": { success: true, gpus: [], disks: [] },
  "/keep_alive": { success: true },
};

/**
 * Runs a route handler that asks the studio first; a page that reloads or closes meanwhile disposes the
 * studio's answer, which ends the handler quietly instead of as an unhandled rejection.
 */
export async function viaStudio(
  route: Route,
  answer: (response: APIResponse) => Promise<void>,
): Promise<void> {
  try {
    await answer(await route.fetch());
  } catch (error) {
    if (/disposed|has been closed|Route is already handled/i.test(String(error))) return;
    throw error;
  }
}

/** Answers from the studio where it has the endpoint, else the quiet stand-in above. */
async function realOrQuiet(route: Route): Promise<void> {
  await viaStudio(route, async (response) => {
    const stand = QUIET[new URL(route.request().url()).pathname];
    if (response.status() === 404 && stand) await route.fulfill({ json: stand });
    else await route.fulfill({ response });
  });
}

export async function newPage(entry: Served, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport });
  entry.contexts.push(context);
  const page = await context.newPage();
  await watch(entry, page);
  for (const url of Object.keys(QUIET)) await page.route(`**${url}`, realOrQuiet);
  return page;
}

/** A fresh browser (own cookies) on the studio page; its problems are checked after each test. */
export async function openPage(entry: Served, viewport = DESKTOP): Promise<Page> {
  const page = await newPage(entry, viewport);
  await page.goto(entry.base);
  await page.locator('.tool-card[data-tool-id="comfy-ui"] .tool-actions').waitFor();
  return page;
}

export const card = (page: Page, id = "comfy-ui") => page.locator(`.tool-card[data-tool-id="${id}"]`);

export async function pick(page: Page, name: string): Promise<void> {
  await page.selectOption("#artist", name);
  await page.waitForFunction((artist) => document.body.dataset.artist === artist, name);
}

export async function adminMode(page: Page, name = "Razvan Matei"): Promise<void> {
  await pick(page, name);
  await page.getByRole("switch", { name: "Admin mode" }).click();
  await page.locator("#admin-panel").waitFor();
}

export async function waitState(page: Page, state: string, id = "comfy-ui", timeout = 15_000): Promise<void> {
  await page.locator(`.tool-card[data-tool-id="${id}"][data-state="${state}"]`).waitFor({ timeout });
}

export async function terminalText(page: Page): Promise<string> {
  return (await page.locator("#terminal").textContent()) ?? "";
}

export async function waitForOutput(page: Page, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (wanted) => (document.getElementById("terminal")?.textContent ?? "").includes(wanted),
    text,
    { timeout },
  );
}

export async function noHorizontalScroll(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: document.documentElement.clientWidth,
  }));
  expect(scroll).toBeLessThanOrEqual(width);
}

/** Expected refusals (a wrong password on purpose) make the browser log the status; those are fine. */
export function problemsOf(entry: Served, allow: RegExp[] = []): string[] {
  return entry.problems.flat().filter((problem) => !allow.some((pattern) => pattern.test(problem)));
}

/**
 * A screenshot for the README of a page or a part of it, written to docs/ only with SCREENSHOTS=1
 * (nothing is written anywhere otherwise).
 */
export async function shot(
  target: Page | Locator,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  if (process.env.SCREENSHOTS !== "1") return;
  const file = path.join(ROOT, "docs", `${name}.png`);
  if ("goto" in target) {
    // A whole page is taken from the top, or the sticky header lands in the middle of it.
    if (options.fullPage) await target.evaluate(() => window.scrollTo(0, 0));
    await target.screenshot({ path: file, ...options });
  } else await target.screenshot({ path: file });
}

/** A JSON answer for a route a test stands in for. */
export const json = (route: Route, body: unknown, status = 200) => route.fulfill({ status, json: body });
