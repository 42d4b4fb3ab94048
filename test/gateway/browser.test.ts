/**
 * Chromium through the gateway: log in, pick a name, follow Open from the studio page into ComfyUI, whose
 * page opens its WebSocket through the tool port and shows what ComfyUI sent, as the artist, without the
 * studio's own cookie ever reaching the tool.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import path from "node:path";
import { execa } from "execa";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { findRepoRoot } from "../../server/config.js";
import { collectProblems, hasChromium, launchBrowser } from "../helpers/browser.js";
import { standinRequests } from "../helpers/standin.js";
import { comfyUserId, ROSA, runTool, signInAs, useGatewayStudios } from "./helpers.js";

const ROOT = findRepoRoot();
const PASSWORD = "studio-pw-browser";
const studio = useGatewayStudios();
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  await execa("npx", ["tsc", "-p", path.join("server", "public", "tsconfig.json")], { cwd: ROOT });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** A studio with a password, its own port listening (as main.ts does), and ComfyUI running for Rosa. */
async function studioWithComfy() {
  const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD } });
  const server: Server = s.app.listen(s.config.port, "127.0.0.1");
  await once(server, "listening");
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  await runTool(await signInAs(s, ROSA, PASSWORD));
  return s;
}

describe.skipIf(!hasChromium)("Chromium through the gateway", () => {
  it("follows Open from the studio page into ComfyUI, whose page talks to ComfyUI over a WebSocket", async () => {
    const s = await studioWithComfy();
    const toolPort = s.config.toolPorts["comfy-ui"];

    const context = await browser.newContext();
    onTestFinished(() => context.close());
    const page = await context.newPage();
    const problems = collectProblems(page);
    await page.goto(`http://127.0.0.1:${s.config.port}/`);
    await page.fill("#password", PASSWORD);
    await page.keyboard.press("Enter");
    // The studio page is up (its script runs) once the cards have their actions.
    await page.locator('.tool-card[data-tool-id="comfy-ui"] .tool-actions').waitFor();
    await page.selectOption("#artist", ROSA);
    await page.waitForFunction((artist) => document.body.dataset.artist === artist, ROSA);
    const open = page
      .locator('.tool-card[data-tool-id="comfy-ui"]')
      .getByRole("link", { name: /Open ComfyUI/ });
    const [tool] = await Promise.all([context.waitForEvent("page"), open.click()]);
    const toolProblems = collectProblems(tool);

    await tool.waitForURL(`http://127.0.0.1:${toolPort}/`);
    await tool.locator("#ws-state", { hasText: "open" }).waitFor();
    await tool.locator("#ws-message", { hasText: "status from ComfyUI: 0 in the queue" }).waitFor();
    await tool.locator("#users", { hasText: '"migrated":true' }).waitFor();
    expect(await tool.locator("#users").textContent()).toBe('{"storage":"server","migrated":true}');

    const cookies = await context.cookies(`http://127.0.0.1:${toolPort}/`);
    const toolCookie = cookies.find((c) => c.name === `comfystudio_tool_${toolPort}`);
    expect(toolCookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false });
    // Cookies ignore ports: the browser sends the studio's cookie to the tool port too; the tool never sees it.
    expect(cookies.map((c) => c.name)).toContain("comfystudio.sid");
    const fromBrowser = standinRequests(s.dirs, "comfy-ui").filter((r) => r.headers["x-forwarded-for"]);
    const urls = fromBrowser.map((r) => `${r.ws ? "WS " : ""}${r.url}`);
    expect(urls).toEqual(expect.arrayContaining(["/", "WS /ws?clientId=page"]));
    // The page's /api/users was answered by the gateway.
    expect(urls).not.toContain("/api/users");
    for (const request of fromBrowser) {
      expect(request.headers["comfy-user"], request.url).toBe(comfyUserId(s.dirs, ROSA));
      expect(request.headers.cookie ?? "", request.url).not.toMatch(/comfystudio/);
      expect(request.url).not.toContain("studio_ticket");
    }
    expect(problems).toEqual([]);
    expect(toolProblems).toEqual([]);
  });

  it("a visit straight to the tool's port goes through the login and the name picker, and then on into the tool", async () => {
    const s = await studioWithComfy();
    const toolPort = s.config.toolPorts["comfy-ui"];
    const context = await browser.newContext();
    onTestFinished(() => context.close());
    const page = await context.newPage();
    const problems = collectProblems(page);
    // A bookmark of the tool itself, with no cookie yet.
    await page.goto(`http://127.0.0.1:${toolPort}/`);
    await page.locator("#password").waitFor();
    expect(new URL(page.url()).searchParams.get("next")).toBe("/open/comfy-ui?next=%2F");
    await page.fill("#password", PASSWORD);
    await page.keyboard.press("Enter");
    // The studio page is up (its script runs) once the cards have their actions.
    await page.locator('.tool-card[data-tool-id="comfy-ui"] .tool-actions').waitFor();
    await page.selectOption("#artist", ROSA);
    await page.waitForURL(`http://127.0.0.1:${toolPort}/`);
    await page.locator("#ws-state", { hasText: "open" }).waitFor();
    expect(problems).toEqual([]);
  });
});
