/** Runs the built studio (`dist/server/main.js`) as a real process, building it first when needed. */
import { existsSync, statSync, readdirSync } from "node:fs";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { findRepoRoot } from "../../server/config.js";
import { waitFor } from "./wait.js";

const ROOT = findRepoRoot();
export const MAIN = path.join(ROOT, "dist", "server", "main.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** Builds the server when dist is missing or older than its sources. */
export async function ensureBuilt(): Promise<void> {
  const stamp = path.join(ROOT, "dist", ".tsbuildinfo");
  if (
    existsSync(MAIN) &&
    existsSync(stamp) &&
    statSync(stamp).mtimeMs >=
      Math.max(newestSource(path.join(ROOT, "server")), newestSource(path.join(ROOT, "lora-tool", "server")))
  )
    return;
  await execa("npx", ["tsc", "-b", "tsconfig.json"], { cwd: ROOT, reject: false });
  if (!existsSync(MAIN)) throw new Error("the studio could not be built");
}

export interface RunningStudio {
  child: ResultPromise<{ env: Record<string, string>; extendEnv: false; reject: false; all: true }>;
  port: number;
  output: () => string;
}

/** Starts the built studio with `env` and waits for /healthz. */
export async function runStudio(env: Record<string, string>): Promise<RunningStudio> {
  await ensureBuilt();
  const child = execa("node", [MAIN], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      LOG_LEVEL: "info",
      ...env,
    },
    extendEnv: false,
    reject: false,
    all: true,
  });
  let output = "";
  child.all?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const port = Number(env.PORT);
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the studio exited: ${output}`);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      return response?.ok ?? false;
    },
    { timeoutMs: 15_000, what: "the studio to answer /healthz" },
  );
  return { child, port, output: () => output };
}
