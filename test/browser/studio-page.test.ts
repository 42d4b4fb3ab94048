/**
 * The studio page in a real browser (Debian's chromium): picking a name, starting and opening a tool, what
 * another artist sees, admin mode with a job and its output, a crash, the output view's scrolling, a phone
 * sized screen, and no console errors or CSP violations anywhere.
 */
import { describe, expect, it } from "vitest";
import { hasChromium } from "../helpers/browser.js";
import { install, jobMode, standinMode } from "../helpers/studio.js";
import {
  card,
  newPage,
  noHorizontalScroll,
  openPage,
  pick,
  problemsOf,
  serve,
  shot,
  terminalText,
  useBrowser,
  viaStudio,
  waitForOutput,
  waitState,
} from "./page.js";

useBrowser();

describe.skipIf(!hasChromium)("the studio page", () => {
  it("picks a name, starts ComfyUI, opens it; another artist sees it in use and cannot stop it", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    standinMode(entry.s.dirs, "comfy-ui", "slow:1000");
    const page = await openPage(entry);

    // The first paint comes from the tools the server put into the page.
    const initial = await page.evaluate(() =>
      JSON.parse(document.getElementById("initial-tools")?.textContent ?? "null"),
    );
    expect(initial.map((tool: { tool_id: string }) => tool.tool_id)).toEqual(
      entry.s.studio.manager.all().map((x) => x.tool.id),
    );

    // No name yet: Start is disabled and says why.
    const start = card(page).getByRole("button", { name: "Start" });
    await expect(start.isDisabled()).resolves.toBe(true);
    expect(await card(page).locator(".tool-note").textContent()).toMatch(/Pick your name/);
    await expect(page.locator("#pick-hint").isVisible()).resolves.toBe(true);
    await shot(page, "picker");

    await pick(page, "Rosa Macak Cizmesija");
    await page.locator("#pick-hint").waitFor({ state: "hidden" });
    await expect(start.isEnabled()).resolves.toBe(true);
    await start.click();
    await waitState(page, "starting");
    expect(await card(page).locator(".badge-text").textContent()).toMatch(/Starting · \d+ s/);
    await waitState(page, "running");

    const open = card(page).getByRole("link", { name: /Open ComfyUI/ });
    await open.waitFor();
    // Open goes through the studio, which hands the artist to the tool's port with a ticket.
    expect(await open.getAttribute("href")).toBe(`${new URL(page.url()).origin}/open/comfy-ui`);
    expect(await open.getAttribute("target")).toBe("_blank");
    expect(await open.getAttribute("rel")).toContain("noopener");
    await card(page).getByRole("button", { name: "Stop" }).waitFor();
    expect(await card(page).locator(".tool-detail").textContent()).toMatch(
      /Started by you \(Rosa Macak Cizmesija\) · running for/,
    );
    // Starting a tool makes the output follow it.
    await waitForOutput(page, `listening on ${entry.s.studio.manager.get("comfy-ui")!.targetPort}`);
    expect(await page.locator("#log-source-title").textContent()).toBe("ComfyUI log");
    await shot(page, "running");

    // The choice lives in the session: a reload keeps the name.
    await page.reload();
    expect(await page.locator("#artist").inputValue()).toBe("Rosa Macak Cizmesija");
    await waitState(page, "running");

    // Another browser: sees who uses it, may open it, gets no Stop.
    const other = await openPage(entry);
    await pick(other, "Zoë Šimić");
    await waitState(other, "running");
    expect(await card(other).locator(".tool-note").textContent()).toMatch(/In use by Rosa Macak Cizmesija/);
    expect(await card(other).getByRole("button", { name: "Stop" }).count()).toBe(0);
    await expect(
      card(other)
        .getByRole("link", { name: /Open ComfyUI/ })
        .isVisible(),
    ).resolves.toBe(true);

    // An admin in admin mode may stop it, after confirming that it is someone else's.
    const admin = await openPage(entry);
    await pick(admin, "Razvan Matei");
    await admin.getByRole("switch", { name: "Admin mode" }).click();
    await admin.locator("#admin-panel").waitFor();
    expect(await card(admin).locator(".tool-note").textContent()).toMatch(
      /In use by Rosa Macak Cizmesija. You may stop it as an admin/,
    );
    await card(admin).getByRole("button", { name: "Stop" }).click();
    await admin.locator("#confirm-dialog").waitFor();
    expect(await admin.locator("#confirm-body").textContent()).toMatch(/Rosa Macak Cizmesija started it/);
    await admin.keyboard.press("Escape");
    await admin.locator("#confirm-dialog").waitFor({ state: "hidden" });
    expect(entry.s.studio.manager.get("comfy-ui")?.state).toBe("running");

    // The owner stops it; the other page follows by polling, without a reload.
    await card(page).getByRole("button", { name: "Stop" }).click();
    await waitState(page, "stopped");
    await waitState(other, "stopped");
    expect(
      await card(other)
        .getByRole("link", { name: /Open ComfyUI/ })
        .isVisible(),
    ).toBe(false);

    expect(problemsOf(entry)).toEqual([]);
  });

  it("links a tool to its RunPod proxy address when RUNPOD_POD_ID is set", async () => {
    const entry = await serve({ env: { RUNPOD_POD_ID: "abc123xyz" } });
    install(entry.s.dirs, "ComfyUI");
    const page = await openPage(entry);
    expect(await page.locator(".pod").textContent()).toContain("abc123xyz");
    await pick(page, "Zoë Šimić");
    await card(page).getByRole("button", { name: "Start" }).click();
    await waitState(page, "running");
    expect(
      await card(page)
        .getByRole("link", { name: /Open ComfyUI/ })
        .getAttribute("href"),
    ).toBe(`https://abc123xyz-${entry.s.config.port}.proxy.runpod.net/open/comfy-ui`);
    expect(problemsOf(entry)).toEqual([]);
  });

  it("an admin switches admin mode on, installs ComfyUI and reads the job's output", async () => {
    const entry = await serve({ env: { ADMIN_PASSWORD: "open-sesame" } });
    jobMode(entry.s.dirs, "install_comfy", "ok");
    const page = await openPage(entry);
    expect(await card(page).locator(".badge-text").textContent()).toBe("Not installed");
    // Not an admin: no switch.
    await pick(page, "Rosa Macak Cizmesija");
    await expect(page.locator("#admin-switch").isVisible()).resolves.toBe(false);
    expect(await card(page).locator(".tool-note").textContent()).toMatch(
      /not installed: ask an admin to switch admin mode on and click Install/,
    );

    await pick(page, "Razvan Matei");
    await page.locator("#admin-switch").waitFor();
    await page.getByRole("switch", { name: "Admin mode" }).click();
    const dialog = page.locator("#admin-dialog");
    await dialog.waitFor();
    await page.fill("#admin-password", "wrong");
    await page.keyboard.press("Enter");
    await page.locator("#admin-dialog-error").waitFor();
    expect(await page.locator("#admin-dialog-error").textContent()).toMatch(/not right/);
    await page.fill("#admin-password", "open-sesame");
    await dialog.getByRole("button", { name: "Switch on" }).click();
    await page.locator("#admin-panel").waitFor();
    expect(await page.getByRole("switch", { name: "Admin mode" }).isChecked()).toBe(true);

    // Not installed: there is nothing to update or reinstall yet, and no ComfyUI to put custom nodes in.
    const comfyRow = page.locator(".admin-tool", { hasText: "ComfyUI" });
    const reinstall = comfyRow.getByRole("button", { name: "Reinstall ComfyUI", exact: true });
    expect(await reinstall.isDisabled()).toBe(true);
    expect(await comfyRow.getByRole("button", { name: "Update ComfyUI", exact: true }).isDisabled()).toBe(
      true,
    );
    await page.locator("#nodes-summary").filter({ hasText: "0 of 2 installed" }).waitFor();
    expect(await page.getByRole("button", { name: "Install all" }).isDisabled()).toBe(true);
    expect(await page.locator("#nodes-host").textContent()).toMatch(/Install ComfyUI first/);

    await comfyRow.getByRole("button", { name: "Install ComfyUI", exact: true }).click();
    await waitForOutput(page, "step 3 of 3");
    await waitForOutput(page, "done");
    expect(await page.locator("#log-source-title").textContent()).toBe("Job: Install ComfyUI");
    const job = page.locator(".job").first();
    await page.locator('.job[data-status="succeeded"]').first().waitFor();
    expect(await job.locator(".job-what").textContent()).toBe("Install ComfyUI");
    expect(await job.locator(".job-meta").textContent()).toMatch(/asked by Razvan Matei.*exit code 0/);
    // The output stays on screen after the job ended.
    expect(await terminalText(page)).toContain("job install_comfy for Razvan Matei");
    // ComfyUI is installed now: the card offers Start.
    await page.waitForFunction(
      () =>
        document.querySelector('.tool-card[data-tool-id="comfy-ui"]')?.getAttribute("data-state") ===
        "stopped",
    );
    await page
      .locator("#nodes-summary")
      .filter({ hasText: /installed|No custom nodes/ })
      .waitFor();
    await shot(page, "admin", { fullPage: true });

    // Installed now: Reinstall asks first and says what is kept; cancelling does nothing.
    await page.waitForFunction(
      () => !(document.querySelector('button[aria-label="Reinstall ComfyUI"]') as HTMLButtonElement).disabled,
    );
    await reinstall.click();
    await page.locator("#confirm-dialog").waitFor();
    expect(await page.locator("#confirm-body").textContent()).toMatch(/Kept: outputs/);
    await page.locator("#confirm-cancel").click();
    await page.locator("#confirm-dialog").waitFor({ state: "hidden" });
    await page.locator("#nodes-host").waitFor({ state: "hidden" });

    // Custom nodes: the list with its marks, and Install all as a job.
    expect(await page.locator("#nodes-summary").textContent()).toBe("0 of 2 installed");
    expect(await page.locator(".node").allTextContents()).toEqual([
      "rgthree-comfyNot installed",
      "ComfyUI-KJNodesNot installed",
    ]);
    await page.getByRole("button", { name: "Install all" }).click();
    await waitForOutput(page, "job install_custom_nodes for Razvan Matei");
    expect(await page.locator("#log-source-title").textContent()).toBe("Job: Install custom nodes");
    await page
      .locator(".job", { hasText: "Install custom nodes" })
      .and(page.locator('[data-status="succeeded"]'))
      .waitFor();

    // A job that hangs can be cancelled from its row.
    jobMode(entry.s.dirs, "install_swarm_ui", "hang");
    await page.getByRole("button", { name: "Install SwarmUI", exact: true }).click();
    await waitForOutput(page, "waiting");
    const swarmJob = page.locator(".job", { hasText: "Install SwarmUI" });
    await swarmJob.and(page.locator('[data-status="running"]')).waitFor();
    await swarmJob.getByRole("button", { name: "Cancel Install SwarmUI" }).click();
    await swarmJob.and(page.locator('[data-status="cancelled"]')).waitFor();
    expect(await swarmJob.getByRole("button", { name: /^Cancel/ }).isVisible()).toBe(false);

    // A reload keeps admin mode and reads the admin lists again.
    await page.reload();
    await page.locator("#admin-panel").waitFor();
    await page.locator("#nodes-summary").filter({ hasText: "0 of 2 installed" }).waitFor();

    // Clicking another source and back to the job follows its log again.
    await card(page).click();
    await page.waitForFunction(
      () => document.getElementById("log-source-title")?.textContent === "ComfyUI log",
    );
    await page.getByRole("button", { name: /Show the output of Install ComfyUI/ }).click();
    await waitForOutput(page, "step 3 of 3");

    expect(problemsOf(entry, [/status of 403/])).toEqual([]);
  });

  it("shows a crash with its exit code and the last log lines", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    standinMode(entry.s.dirs, "comfy-ui", "exit:3");
    const page = await openPage(entry);
    await pick(page, "Zoë Šimić");
    await card(page).getByRole("button", { name: "Start" }).click();
    await waitState(page, "crashed");
    const crashed = card(page);
    expect(await crashed.locator(".badge-text").textContent()).toBe("Crashed");
    expect(await crashed.locator(".crash-code").textContent()).toBe("Exit code 3");
    await crashed.locator(".tail summary").click();
    await crashed.locator(".log-tail").waitFor();
    expect(await crashed.locator(".log-tail").textContent()).toContain("gives up");
    await expect(crashed.getByRole("button", { name: "Start again" }).isEnabled()).resolves.toBe(true);
    expect(problemsOf(entry)).toEqual([]);
  });

  it("keeps the reader's place in the output when they scroll up, and strips colour codes", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    const log = entry.s.studio.logs.get("comfy-ui.log");
    const page = await openPage(entry);
    await card(page).click();
    await page.waitForFunction(
      () => document.getElementById("log-source-title")?.textContent === "ComfyUI log",
    );

    await log.append(
      Array.from({ length: 400 }, (_, i) => `first ${i}\n`).join("") + "\x1b[32mgreen text\x1b[0m\n",
    );
    await waitForOutput(page, "green text");
    expect(await terminalText(page)).not.toContain("\x1b");
    const terminal = page.locator("#terminal");
    // At the bottom: new output scrolls into view.
    expect(await terminal.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(
      30,
    );

    await terminal.evaluate((el) => (el.scrollTop = 200));
    await log.append(Array.from({ length: 200 }, (_, i) => `more ${i}\n`).join(""));
    await waitForOutput(page, "more 199");
    expect(await terminal.evaluate((el) => el.scrollTop)).toBe(200);
    const jump = page.getByRole("button", { name: /Jump to the newest output/ });
    await jump.waitFor();
    await jump.click();
    expect(await terminal.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(
      30,
    );

    // A progress bar redrawn with carriage returns shows as one line.
    await log.append("download 10%\rdownload 50%\rdownload 100%\n");
    await waitForOutput(page, "download 100%");
    expect(await terminalText(page)).not.toContain("download 50%");

    // When the studio says the log restarted, the view says so.
    let answered = false;
    await page.route("**/logs?*", (route) =>
      viaStudio(route, async (response) => {
        const json = (await response.json()) as Record<string, unknown>;
        if (!answered) {
          answered = true;
          json.reset = true;
        }
        await route.fulfill({ response, json });
      }),
    );
    await page.locator(".term-note").waitFor();
    expect(await page.locator(".term-note").textContent()).toMatch(/cleared or rotated/);
    await page.unroute("**/logs?*");

    // Clear empties the view; new output still arrives.
    await page.getByRole("button", { name: "Clear" }).click();
    expect(await terminalText(page)).toBe("");
    await log.append("after clear\n");
    await waitForOutput(page, "after clear");
    expect(await terminalText(page)).not.toContain("first 0");

    // A flood of output: read in full answers one after another, the view keeps at most about 1 MB.
    const line = `${"x".repeat(90)}\n`;
    await log.append(line.repeat(15_000) + "end of flood\n");
    await waitForOutput(page, "end of flood");
    const kept = await page.locator("#terminal").evaluate((el) => (el.textContent ?? "").length);
    expect(kept).toBeLessThanOrEqual(1_000_000);
    expect(kept).toBeGreaterThan(500_000);
    expect(problemsOf(entry)).toEqual([]);
  });

  it("fits a 360 px wide screen without horizontal scrolling, with admin mode too", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    const page = await openPage(entry, { width: 360, height: 740 });
    await noHorizontalScroll(page);
    await pick(page, "Razvan Matei");
    await page.getByRole("switch", { name: "Admin mode" }).click();
    await page.locator("#admin-panel").waitFor();
    await card(page).getByRole("button", { name: "Start" }).click();
    await waitState(page, "running");
    await entry.s.studio.logs.get("comfy-ui.log").append(`${"a-very-long-unbroken-line-".repeat(40)}\n`);
    await waitForOutput(page, "a-very-long-unbroken-line-a-very");
    await noHorizontalScroll(page);
    // Keyboard: the picker and the cards' buttons are reachable with Tab, with a visible focus ring.
    await page.locator("#artist").focus();
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? { id: el.id, outline: getComputedStyle(el).outlineStyle } : null;
    });
    expect(focused?.id).toBe("admin-mode");
    expect(focused?.outline).not.toBe("none");
    expect(problemsOf(entry)).toEqual([]);
  });

  it("downloads model sets with tokens and shows a progress bar per set", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    const page = await openPage(entry);
    // The model endpoints are answered here, so the page's part is tested on its own.
    const sets = [
      { id: "flux1-dev", name: "Flux.1 dev", installed: 0, total: 3, bytes: 4_000_000_000 },
      { id: "sdxl", name: "SDXL base", installed: 2, total: 2, bytes: 6_900_000_000 },
    ];
    let downloading = false;
    let sent: Record<string, unknown> | null = null;
    await page.route("**/models", (route) => route.fulfill({ json: { success: true, sets } }));
    await page.route("**/models/progress", (route) =>
      route.fulfill({
        json: {
          success: true,
          job_id: downloading ? "models-job" : null,
          running: downloading,
          sets: downloading
            ? [
                {
                  id: "flux1-dev",
                  done_bytes: 1_000_000_000,
                  total_bytes: 4_000_000_000,
                  files_done: 1,
                  files_total: 3,
                  bytes_per_second: 50_000_000,
                },
              ]
            : [],
        },
      }),
    );
    await page.route("**/download_models", (route) => {
      sent = route.request().postDataJSON() as Record<string, unknown>;
      downloading = true;
      return route.fulfill({ status: 202, json: { success: true, job_id: "models-job" } });
    });
    await page.route("**/jobs", (route) =>
      viaStudio(route, async (response) => {
        const json = (await response.json()) as { jobs: unknown[] };
        if (downloading) {
          json.jobs.unshift({
            job_id: "models-job",
            kind: "models",
            target: "flux1-dev",
            action: "download",
            status: "running",
            exit_code: null,
            requested_by: "Razvan Matei",
            created_at: new Date().toISOString(),
            started_at: new Date().toISOString(),
            ended_at: null,
            message: null,
            cancelled_by: null,
          });
        }
        await route.fulfill({ response, json });
      }),
    );
    await page.route("**/logs?source=job%3Amodels-job*", (route) =>
      route.fulfill({
        json: {
          success: true,
          content: "flux1-dev: 1 of 3 files\n",
          cursor: 24,
          running: downloading,
          job_id: "models-job",
        },
      }),
    );

    await pick(page, "Razvan Matei");
    await page.getByRole("switch", { name: "Admin mode" }).click();
    const flux = page.locator(".model-set", { hasText: "Flux.1 dev" });
    await flux.waitFor();
    expect(await flux.locator(".set-count").textContent()).toBe("0 of 3 files");
    expect(await flux.locator(".set-size").textContent()).toBe("4.00 GB");
    expect(await page.locator(".model-set", { hasText: "SDXL" }).locator(".set-count").textContent()).toBe(
      "All 2 files",
    );
    const download = page.locator("#models-download");
    expect(await download.isDisabled()).toBe(true);
    for (const id of ["#hf-token", "#civitai-token"]) {
      expect(await page.locator(id).getAttribute("type")).toBe("password");
      expect(await page.locator(id).getAttribute("autocomplete")).toBe("off");
    }

    await flux.getByRole("checkbox").check();
    await page.getByLabel(/Hugging Face token/).fill("hf_secret_token");
    await download.click();
    await flux.locator(".set-progress progress").waitFor();
    await page.waitForFunction(() =>
      /1\.00 GB of 4\.00 GB · 1\/3 files · 50\.0 MB\/s · about 1 min/.test(
        document.querySelector(".model-set .progress-text")?.textContent ?? "",
      ),
    );
    expect(
      await flux
        .locator("progress")
        .evaluate((bar) => [(bar as HTMLProgressElement).value, (bar as HTMLProgressElement).max]),
    ).toEqual([1e9, 4e9]);
    expect(sent).toEqual({ models: ["flux1-dev"], hf_token: "hf_secret_token" });
    await waitForOutput(page, "flux1-dev: 1 of 3 files");
    expect(
      await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })),
    ).not.toContain("hf_secret");

    // The download ends: the bars go and the sets are read again.
    sets[0] = { ...sets[0]!, installed: 3 };
    downloading = false;
    await flux.locator(".set-progress").waitFor({ state: "hidden" });
    await page.waitForFunction(
      () => document.querySelector(".model-set .set-count")?.textContent === "All 3 files",
    );
    expect(problemsOf(entry)).toEqual([]);
  });

  it("asks for the studio password when one is set, and logs out", async () => {
    const entry = await serve({ env: { STUDIO_PASSWORD: "let-me-in" } });
    const page = await newPage(entry);
    await page.goto(entry.base);
    await page.getByLabel("Studio password").fill("nope");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("#login-error").waitFor();
    expect(await page.locator("#login-error").textContent()).toMatch(/not right/);
    await page.getByLabel("Studio password").fill("let-me-in");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator('.tool-card[data-tool-id="comfy-ui"] .tool-actions').waitFor();
    await pick(page, "Zoë Šimić");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Studio password").waitFor();
    expect(problemsOf(entry, [/status of 401/])).toEqual([]);
  });

  it("shows a failed action's message beside its control, network errors too", async () => {
    const entry = await serve();
    install(entry.s.dirs, "ComfyUI");
    const page = await openPage(entry);
    await pick(page, "Zoë Šimić");
    await page.route("**/start_session", (route) =>
      route.fulfill({
        status: 409,
        contentType: "application/json",
        body: JSON.stringify({
          success: false,
          message: "ComfyUI is being installed; start it when that job ends.",
        }),
      }),
    );
    await card(page).getByRole("button", { name: "Start" }).click();
    const error = card(page).locator(".field-error");
    await error.waitFor();
    expect(await error.textContent()).toContain("ComfyUI is being installed; start it when that job ends.");
    expect(await error.getAttribute("aria-live")).toBe("polite");

    await page.unroute("**/start_session");
    await page.route("**/start_session", (route) => route.abort("connectionrefused"));
    await card(page).getByRole("button", { name: "Start" }).click();
    await page.waitForFunction(() =>
      /could not be reached/.test(
        document.querySelector('.tool-card[data-tool-id="comfy-ui"] .field-error')?.textContent ?? "",
      ),
    );

    // Losing the studio shows a banner until it answers again.
    await page.route("**/tools", (route) => route.abort("connectionrefused"));
    await page.locator("#page-error").waitFor();
    expect(await page.locator("#page-error").textContent()).toMatch(/lost contact with the studio/);
    await page.unroute("**/tools");
    await page.locator("#page-error").waitFor({ state: "hidden" });

    // An unknown name (the list changed meanwhile) is refused and the picker goes back.
    await page.evaluate(() => {
      const select = document.getElementById("artist") as HTMLSelectElement;
      select.add(new Option("Nobody Here", "Nobody Here"));
    });
    await page.selectOption("#artist", "Nobody Here");
    await page.locator("#artist-error").waitFor();
    expect(await page.locator("#artist-error").textContent()).toMatch(/not on the studio's list/);
    expect(await page.locator("#artist").inputValue()).toBe("Zoë Šimić");
    expect(
      problemsOf(entry, [/status of 409/, /status of 400/, /ERR_CONNECTION_REFUSED|ERR_FAILED/]),
    ).toEqual([]);
  });
});
