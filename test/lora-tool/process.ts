/** The built LoRA-Tool as a child process, started by its setup script, for the process-level tests. */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { ensureBuilt } from "../helpers/built.js";
import { waitFor } from "../helpers/wait.js";
import { buildKit, makeDirs, type TestDirs } from "./helpers.js";

export const REPO = path.resolve(import.meta.dirname, "..", "..");
export const START = path.join(REPO, "setup", "lora-tool", "start_lora_tool.sh");

export interface ToolProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

/**
 * For a file of process tests: the build (server and kit) before them, fresh temp folders for each test
 * (`t.dirs`), and afterwards every tool it started and left running ended and the folders removed.
 */
export function builtToolTests(): { dirs: TestDirs } {
  const current = {} as { dirs: TestDirs };
  beforeAll(async () => {
    await ensureBuilt();
    await buildKit();
  }, 120_000);
  beforeEach(async () => {
    current.dirs = await makeDirs();
  });
  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(child.pid, "SIGKILL");
    }
    await current.dirs.cleanup();
  });
  return current;
}

/** Runs the start script with the tool's environment; waits until `url` answers unless `wait` is false. */
export async function startTool(
  dirs: TestDirs,
  env: Record<string, string>,
  { url = `http://127.0.0.1:${env.PORT}/`, wait = true } = {},
): Promise<ToolProcess> {
  let output = "";
  const child = spawn("bash", [START], {
    cwd: os.tmpdir(),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      WORKSPACE_DIR: dirs.workspaceDir,
      REPO_DIR: REPO,
      STUDIO_USER: "Rosa",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  if (wait) {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the tool exited: ${output}`);
        return (await fetch(url)).status < 500;
      },
      { what: "the LoRA-Tool to answer", timeoutMs: 15_000 },
    );
  }
  return { child, output: () => output, exited };
}
