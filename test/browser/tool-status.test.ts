/**
 * The newer parts of a tool's status on its card: who is in it, which GPU is whose, the idle-stop warning
 * with "Keep it running", admin-only tools, and a stop that asks first while ComfyUI has prompts queued.
 * The statuses are the studio's own answers with those fields set here, so each case is exact.
 */
import type { Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { hasChromium } from "../helpers/browser.js";
import { install } from "../helpers/studio.js";
import type { ToolStatus } from "../../server/api.js";
import { card, json, openPage, pick, problemsOf, serve, useBrowser, viaStudio, waitState } from "./page.js";

useBrowser();

const ROSA = "Rosa Macak Cizmesija";
type Patch = Partial<ToolStatus>;

/** Answers /tools and /tool_status with the studio's statuses, `patch(id)` laid over each. */
async function patchTools(page: Page, patch: () => Record<string, Patch>): Promise<void> {
  const over = (tool: ToolStatus) => ({ ...tool, ...(patch()[tool.tool_id] ?? {}) });
  await page.route("**/tools", (route: Route) =>
    viaStudio(route, async (response) => {
      const body = (await response.json()) as { tools: ToolStatus[] };
      await route.fulfill({ response, json: { ...body, tools: body.tools.map(over) } });
    }),
  );
}

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

describe.skipIf(!hasChromium)("a tool's card", () => {
  it("says who is in it, which GPU is whose, and warns its artists before an idle stop", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    const page = await openPage(entry);
    let kept: unknown = null;
    let fields: Record<string, Patch> = {
      "comfy-ui": {
        state: "running",
        running: true,
        port_ready: true,
        owner: ROSA,
        started_at: minutes(-40),
        last_activity_at: minutes(-26),
        active_artists: [ROSA, "Karlo Babić"],
        idle_stop_at: minutes(4),
        instances: [
          { gpu: 0, state: "running", owner: ROSA, artists: [ROSA, "Karlo Babić"], pid: 4100 },
          { gpu: 1, state: "running", owner: "Ana Horvat", artists: ["Ana Horvat"], pid: 4200 },
          { gpu: 2, state: "stopped", owner: null, artists: [], pid: null },
        ],
      },
    };
    await patchTools(page, () => fields);
    await page.route("**/keep_alive", async (route) => {
      kept = route.request().postDataJSON();
      fields = {
        "comfy-ui": { ...fields["comfy-ui"], idle_stop_at: minutes(30), last_activity_at: minutes(0) },
      };
      await json(route, { success: true });
    });
    await pick(page, ROSA);
    const comfy = card(page);
    await comfy
      .locator(".tool-presence")
      .filter({ hasText: "You and Karlo Babić are in ComfyUI." })
      .waitFor();
    expect(await comfy.locator(".instances li").allTextContents()).toEqual([
      "GPU 0: running · yours, shared with Karlo Babić",
      "GPU 1: running · Ana Horvat",
      "GPU 2: stopped",
    ]);
    expect(await comfy.locator(".instances li.mine").textContent()).toMatch(/^GPU 0/);
    const warning = comfy.locator(".idle-warning");
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/ComfyUI stops in (3 min \d+ s|4 min): nobody has used it/);
    await comfy.getByRole("button", { name: "Keep it running" }).click();
    await warning.waitFor({ state: "hidden" });
    expect(kept).toEqual({ tool_id: "comfy-ui" });

    // Someone who is not one of its artists gets no warning.
    fields = { "comfy-ui": { ...fields["comfy-ui"], idle_stop_at: minutes(2) } };
    const other = await openPage(entry);
    await patchTools(other, () => fields);
    await pick(other, "Zoë Šimić");
    await card(other)
      .locator(".tool-presence")
      .filter({ hasText: "Rosa Macak Cizmesija and Karlo Babić are in ComfyUI." })
      .waitFor();
    expect(await card(other).locator(".idle-warning").isVisible()).toBe(false);
    expect(await card(other).locator(".instances li.mine").count()).toBe(0);

    // A short idle time warns from half of it: 4 minutes of idling warn from 2 minutes before.
    fields = {
      "comfy-ui": { ...fields["comfy-ui"], last_activity_at: minutes(-1), idle_stop_at: minutes(3) },
    };
    await page.waitForFunction(() =>
      document.querySelector('.tool-card[data-tool-id="comfy-ui"] .idle-warning')?.hasAttribute("hidden"),
    );
    fields = {
      "comfy-ui": { ...fields["comfy-ui"], last_activity_at: minutes(-2.5), idle_stop_at: minutes(1.5) },
    };
    await card(page).locator(".idle-warning").waitFor();
    expect(problemsOf(entry)).toEqual([]);
  });

  it("keeps admin-only tools to admins", async () => {
    const entry = await serve();
    const page = await openPage(entry);
    await patchTools(page, () => ({ "jupyter-lab": { admin_only: true } }));
    await page.reload();
    await pick(page, ROSA);
    const jupyter = card(page, "jupyter-lab");
    await jupyter
      .locator(".tool-note")
      .filter({ hasText: "JupyterLab is for admins only on this studio." })
      .waitFor();
    expect(await jupyter.locator(".tag").textContent()).toBe("Admins only");
    expect(await jupyter.getByRole("button", { name: "Start" }).isDisabled()).toBe(true);
    await pick(page, "Razvan Matei");
    await page.waitForFunction(
      () =>
        !(
          document.querySelector('.tool-card[data-tool-id="jupyter-lab"] button.primary') as HTMLButtonElement
        ).disabled,
    );
    expect(problemsOf(entry)).toEqual([]);
  });

  it("asks before stopping ComfyUI with prompts in its queue, then forces", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    const page = await openPage(entry);
    await pick(page, ROSA);
    await card(page).getByRole("button", { name: "Start" }).click();
    await waitState(page, "running");
    const sent: unknown[] = [];
    await page.route("**/stop_session", async (route) => {
      const body = route.request().postDataJSON() as { force?: boolean };
      sent.push(body);
      if (body.force) return route.fallback();
      await json(
        route,
        {
          success: false,
          message:
            "ComfyUI still has 2 prompts (Rosa Macak Cizmesija 1, Karlo Babić 1) in its queue; stop it anyway with force, or wait.",
          queued: 2,
          by: [ROSA, "Karlo Babić"],
        },
        409,
      );
    });
    await card(page).getByRole("button", { name: "Stop" }).click();
    await page.locator("#confirm-dialog").waitFor();
    expect(await page.locator("#confirm-title").textContent()).toBe("Stop ComfyUI with 2 queued?");
    expect(await page.locator("#confirm-body").textContent()).toMatch(
      /Queued by Rosa Macak Cizmesija, Karlo Babić/,
    );
    await page.locator("#confirm-cancel").click();
    expect(entry.s.studio.manager.get("comfy-ui")?.state).toBe("running");
    await card(page).getByRole("button", { name: "Stop" }).click();
    await page.getByRole("button", { name: "Stop anyway" }).click();
    await waitState(page, "stopped");
    expect(sent).toEqual([
      { tool_id: "comfy-ui" },
      { tool_id: "comfy-ui" },
      { tool_id: "comfy-ui", force: true },
    ]);
    expect(problemsOf(entry, [/status of 409/])).toEqual([]);
  });
});
