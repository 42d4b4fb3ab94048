/**
 * The real built studio (`node dist/server/main.js`) as a child process, building it first when an output
 * is missing or older than its source.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import request from "supertest";
import { findRepoRoot } from "../../server/config.js";
import type { Agent } from "./http.js";
import type { TestDirs } from "./studio.js";
import { waitFor } from "./wait.js";

export const ROOT = findRepoRoot();
export const MAIN_JS = path.join(ROOT, "dist", "server", "main.js");

const SOURCE_DIRS = ["server", path.join("lora-tool", "server")];

function newestSourceWithoutOutput(): string | null {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const rel = path.relative(ROOT, full);
      if (rel.startsWith(path.join("server", "public")) || rel.startsWith(path.join("server", "views")))
        continue;
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
        const out = path.join(ROOT, "dist", rel.replace(/\.ts$/, ".js"));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(full).mtimeMs) stale.push(rel);
      }
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(ROOT, dir));
  return stale[0] ?? null;
}

/**
 * Builds dist/server when an output is missing or older than its source. Test files run in parallel, so
 * the build is guarded by a lock folder.
 */
export async function ensureBuilt(): Promise<void> {
  if (newestSourceWithoutOutput() === null) return;
  const lock = path.join(ROOT, "dist", ".hostile-build.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error("timed out waiting for another build of dist/server");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    const stale = newestSourceWithoutOutput();
    if (stale === null) return;
    const result = spawnSync(
      process.execPath,
      [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b", "tsconfig.json"],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    if (!existsSync(MAIN_JS)) throw new Error(`the build failed:\n${result.stdout}\n${result.stderr}`);
    if (result.status !== 0)
      process.stderr.write(`tsc -b reported problems (the build is used anyway):\n${result.stdout}\n`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface StudioProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  env: Record<string, string>;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  agent: () => Agent;
  /** SIGKILL, and wait for the end. */
  kill: () => Promise<void>;
  /** SIGTERM, and wait for the end. */
  stop: () => Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Run as this uid/gid (only when the tests run as root). */
  uid?: number;
  gid?: number;
  /** Wait until /healthz answers (default true). */
  waitReady?: boolean;
  /** Node's own options for the studio (a benchmark's `--cpu-prof`). */
  nodeArgs?: string[];
}

/** Starts the built studio on `dirs` and, unless told not to, waits for /healthz. */
export async function spawnStudio(dirs: TestDirs, options: SpawnOptions = {}): Promise<StudioProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dirs.root,
    LANG: "C.UTF-8",
    HOST: "127.0.0.1",
    LOG_LEVEL: "debug",
    ...dirs.env,
    ...options.env,
  };
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN_JS], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  const proc: StudioProcess = {
    child,
    pid: child.pid!,
    url,
    env,
    output: () => output,
    exited,
    agent: () => request.agent(url),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  if (options.waitReady !== false) {
    let ended = false;
    void exited.then(() => (ended = true));
    await waitFor(
      async () => {
        if (ended) throw new Error(`the studio exited at start:\n${output}`);
        const res = await fetch(`${url}/healthz`).catch(() => null);
        return res?.status === 200;
      },
      { timeoutMs: 20_000, intervalMs: 50, what: "the studio to answer /healthz" },
    ).catch((error: unknown) => {
      child.kill("SIGKILL");
      throw new Error(`${(error as Error).message}\n${output}`);
    });
  }
  return proc;
}
