import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { freePort } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { builtToolTests, REPO, START, startTool } from "./process.js";

const KILL = path.join(REPO, "setup", "lora-tool", "kill_lora_tool.sh");

const t = builtToolTests();

describe("setup/lora-tool scripts", () => {
  it("start explains a missing build and exits 1", async () => {
    const result = await execa("bash", [START], {
      env: { REPO_DIR: t.dirs.root, PORT: "1" },
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("the build is missing");
    expect(result.stderr).toContain("npm run build");
  });

  it("start runs the tool on PORT with STATE_DIR defaulting under the workspace; SIGTERM stops it cleanly", async () => {
    const port = await freePort();
    const { child, output, exited } = await startTool(t.dirs, { PORT: String(port) });
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("LoRA-Tool");
    const pidFile = path.join(t.dirs.workspaceDir, ".comfystudio", "lora-tool", "server.pid");
    await waitFor(() => existsSync(pidFile), { what: "the pid file" });
    expect(Number(await readFile(pidFile, "utf8"))).toBe(child.pid);
    expect(existsSync(path.join(t.dirs.workspaceDir, "datasets"))).toBe(true);

    process.kill(-(child.pid as number), "SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output()).toContain("LoRA-Tool stopped");
    expect(existsSync(pidFile)).toBe(false);
  });

  it("kill stops a running tool, and says so when there is none", async () => {
    const none = await execa("bash", [KILL], { env: { WORKSPACE_DIR: t.dirs.workspaceDir }, reject: false });
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toContain("not running");

    const port = await freePort();
    const { exited } = await startTool(t.dirs, { PORT: String(port) });
    await waitFor(() => existsSync(path.join(t.dirs.stateDir, "lora-tool", "server.pid")), {
      what: "the pid file",
    });
    const killed = await execa("bash", [KILL], {
      env: { WORKSPACE_DIR: t.dirs.workspaceDir },
      reject: false,
    });
    expect(killed.exitCode).toBe(0);
    expect(killed.stdout).toContain("stopped");
    expect((await exited).code).toBe(0);
  });

  it("install, update and reinstall scripts are valid bash", async () => {
    for (const name of ["install", "update", "reinstall", "start", "kill"]) {
      const script = path.join(REPO, "setup", "lora-tool", `${name}_lora_tool.sh`);
      const result = await execa("bash", ["-n", script], { reject: false });
      expect(result.exitCode, name).toBe(0);
    }
  });
});
