import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { isSameProcessAlive } from "../../server/process/proc.js";
import { ensureBuilt, MAIN_JS, spawnStudio } from "../helpers/built.js";
import { makeDirs, removeDirs, type TestDirs } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";

const made: TestDirs[] = [];
afterEach(() => {
  for (const dirs of made.splice(0)) removeDirs(dirs);
});

describe("the studio process", () => {
  it("a bad setting stops the start with one line naming the variable", async () => {
    await ensureBuilt();
    const dirs = await makeDirs();
    made.push(dirs);
    for (const [variable, value] of [
      ["PORT", "99999"],
      ["COMFYUI_PORT", "abc"],
      ["STOP_GRACE_MS", "-5"],
      ["TOOL_CHANGES_BY", "nobody"],
    ] as const) {
      const result = await execa("node", [MAIN_JS], {
        env: { ...dirs.env, [variable]: value },
        reject: false,
        timeout: 10_000,
      });
      expect(result.exitCode).toBe(2);
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(variable);
      expect(lines[0]).toContain(value);
    }
  });

  it("SIGTERM: finishes, exits within 5 s, and leaves the tools running for the next start", async () => {
    const dirs = await makeDirs();
    made.push(dirs);
    const studio = await spawnStudio(dirs, { env: { STUDIO_PASSWORD: "pw-main-test", LOG_LEVEL: "info" } });
    const base = studio.url;
    const login = await fetch(`${base}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ password: "pw-main-test" }),
    });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const post = (url: string, body: unknown) =>
      fetch(`${base}${url}`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify(body),
      });
    expect((await post("/set_artist", { artist: "Rosa Macak Cizmesija" })).status).toBe(200);
    expect((await post("/start_session", { tool_id: "lora-tool" })).status).toBe(202);
    const running = await waitFor(
      async () => {
        const body = await (await fetch(`${base}/tool_status/lora-tool`, { headers: { cookie } })).json();
        return body.state === "running" ? body : null;
      },
      { what: "the tool to run" },
    );
    const asked = Date.now();
    await studio.stop();
    expect(Date.now() - asked).toBeLessThan(5_000);
    expect((await studio.exited).code).toBe(0);
    expect(studio.output()).toMatch(/"msg":"shutting down"/);
    expect(studio.output()).not.toContain("pw-main-test");
    expect(isSameProcessAlive({ pid: running.pid, pgid: running.pid, startTicks: null, bootId: null })).toBe(
      true,
    );
    process.kill(-running.pid, "SIGKILL");
  });
});
