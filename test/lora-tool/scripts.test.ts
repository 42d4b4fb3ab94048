import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../helpers/built.js";
import { freePort } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { makeDirs, type TestDirs } from "./helpers.js";

const REPO = path.resolve(import.meta.dirname, "..", "..");
const START = path.join(REPO, "setup", "lora-tool", "start_lora_tool.sh");
const KILL = path.join(REPO, "setup", "lora-tool", "kill_lora_tool.sh");

let dirs: TestDirs;
const started: ChildProcess[] = [];

/** The start script runs the built server (what `npm run build` makes). */
beforeAll(async () => await ensureBuilt(), 120_000);

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, "SIGKILL");
    }
  }
  await dirs?.cleanup();
});

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

async function startTool(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  let output = "";
  const child = spawn("bash", [START], {
    cwd: os.tmpdir(),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      WORKSPACE_DIR: dirs.workspaceDir,
      REPO_DIR: REPO,
      STUDIO_USER: "Rosa",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the tool exited: ${output}`);
      const response = await fetch(`http://127.0.0.1:${port}/`);
      return response.status < 500;
    },
    { what: "the LoRA-Tool to answer", timeoutMs: 15_000 },
  );
  return { child, output: () => output };
}

describe("setup/lora-tool scripts", () => {
  it("start explains a missing build and exits 1", async () => {
    dirs = await makeDirs();
    const result = await execa("bash", [START], {
      env: { REPO_DIR: dirs.root, PORT: "1" },
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("the build is missing");
    expect(result.stderr).toContain("npm run build");
  });

  it("start runs the tool on PORT with STATE_DIR defaulting under the workspace; SIGTERM stops it cleanly", async () => {
    dirs = await makeDirs();
    const port = await freePort();
    const { child, output } = await startTool(port);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("LoRA-Tool");
    const pidFile = path.join(dirs.workspaceDir, ".comfystudio", "lora-tool", "server.pid");
    await waitFor(() => existsSync(pidFile), { what: "the pid file" });
    expect(Number(await readFile(pidFile, "utf8"))).toBe(child.pid);
    expect(existsSync(path.join(dirs.workspaceDir, "datasets"))).toBe(true);

    process.kill(-(child.pid as number), "SIGTERM");
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(output()).toContain("LoRA-Tool stopped");
    expect(existsSync(pidFile)).toBe(false);
  });

  it("kill stops a running tool, and says so when there is none", async () => {
    dirs = await makeDirs();
    const none = await execa("bash", [KILL], { env: { WORKSPACE_DIR: dirs.workspaceDir }, reject: false });
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toContain("not running");

    const port = await freePort();
    const { child } = await startTool(port);
    await waitFor(() => existsSync(path.join(dirs.stateDir, "lora-tool", "server.pid")), {
      what: "the pid file",
    });
    const killed = await execa("bash", [KILL], { env: { WORKSPACE_DIR: dirs.workspaceDir }, reject: false });
    expect(killed.exitCode).toBe(0);
    expect(killed.stdout).toContain("stopped");
    expect((await exited(child)).code).toBe(0);
  });

  it("install, update and reinstall scripts are valid bash", async () => {
    for (const name of ["install", "update", "reinstall", "start", "kill"]) {
      const script = path.join(REPO, "setup", "lora-tool", `${name}_lora_tool.sh`);
      const result = await execa("bash", ["-n", script], { reject: false });
      expect(result.exitCode, name).toBe(0);
    }
  });
});
