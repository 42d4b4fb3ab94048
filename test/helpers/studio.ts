/**
 * A studio in temp folders for tests: its own workspace, state folder and users file, the fixture repo's
 * stand-in tools on free ports, and a supertest agent per "browser".
 */
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino, type Logger } from "pino";
import request from "supertest";
import { createApp } from "../../server/app.js";
import { findRepoRoot, loadConfig, TOOL_PORT_VARIABLES, type Config } from "../../server/config.js";
import { createStudio, type Studio } from "../../server/studio.js";
import { freePort } from "./ports.js";

export const FIXTURE_REPO = path.join(findRepoRoot(), "test", "fixtures", "repo");

export const DEFAULT_USERS = `USERS=(
  "Rosa Macak Cizmesija"
  "Razvan Matei:admin"
  'Zoë Šimić'
)
`;

export interface TestStudioOptions {
  users?: string;
  env?: Record<string, string>;
  /** Reuse these folders (a restart of the same studio). */
  dirs?: TestDirs;
  settings?: Parameters<typeof createStudio>[1]["settings"];
  /** The gateway's upstream idle limit (see createStudio). */
  upstreamIdleMs?: number;
  /** The studio's logger (default: silent, or TEST_LOG_LEVEL). */
  logger?: Logger;
}

export interface TestDirs {
  root: string;
  workspace: string;
  state: string;
  usersFile: string;
  env: Record<string, string>;
}

export async function makeDirs(users = DEFAULT_USERS): Promise<TestDirs> {
  const root = mkdtempSync(path.join(os.tmpdir(), "studio-test-"));
  const workspace = path.join(root, "workspace");
  const state = path.join(root, "state");
  mkdirSync(workspace, { recursive: true });
  const usersFile = path.join(root, "artist_names.sh");
  writeFileSync(usersFile, users);
  const env: Record<string, string> = {
    WORKSPACE_DIR: workspace,
    STATE_DIR: state,
    USERS_FILE: usersFile,
    REPO_DIR: FIXTURE_REPO,
    STOP_GRACE_MS: "1500",
  };
  for (const variable of Object.values(TOOL_PORT_VARIABLES)) env[variable] = String(await freePort());
  env.PORT = String(await freePort());
  const dirs = { root, workspace, state, usersFile, env };
  // JupyterLab comes with the image on a pod: the test workspace has one too (a stand-in venv).
  install(dirs, "jupyter-lab");
  return dirs;
}

export interface TestStudio {
  studio: Studio;
  config: Config;
  dirs: TestDirs;
  app: ReturnType<typeof createApp>;
  agent: () => ReturnType<typeof request.agent>;
  close: () => Promise<void>;
}

export async function startTestStudio(options: TestStudioOptions = {}): Promise<TestStudio> {
  const dirs = options.dirs ?? (await makeDirs(options.users));
  const config = loadConfig({ ...dirs.env, ...options.env });
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const studio = await createStudio(config, {
    logger,
    upstreamIdleMs: options.upstreamIdleMs,
    usersDebounceMs: 50,
    // Stand-in installs need no space; the check itself has its own test.
    checkInstallSpace: false,
    settings: { readyIntervalMs: 50, foreignPollMs: 100, ...options.settings },
  });
  const app = createApp(studio);
  return {
    studio,
    config,
    dirs,
    app,
    agent: () => request.agent(app),
    close: () => studio.close(),
  };
}

/** Marks a tool as installed in the test workspace: its folder (ComfyUI, ai-toolkit...) or JupyterLab's venv. */
export function install(dirs: TestDirs, folder: string): void {
  if (folder === "jupyter-lab") {
    const bin = path.join(dirs.workspace, ".venvs", "jupyterlab", "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "jupyter-lab"), "#!/bin/sh\n", { mode: 0o755 });
    return;
  }
  mkdirSync(path.join(dirs.workspace, folder), { recursive: true });
  writeFileSync(path.join(dirs.workspace, folder, "main.py"), "# stand-in\n");
}

/** Sets how a stand-in tool behaves (see test/fixtures/repo/standin-tool.mjs). */
export function standinMode(dirs: TestDirs, toolId: string, mode: string): void {
  mkdirSync(path.join(dirs.workspace, ".standin"), { recursive: true });
  writeFileSync(path.join(dirs.workspace, ".standin", `${toolId}.mode`), mode);
}

/** Sets how a stand-in job script behaves (see test/fixtures/repo/standin-job.sh). */
export function jobMode(dirs: TestDirs, scriptStem: string, mode: string): void {
  mkdirSync(path.join(dirs.workspace, ".standin", "jobs"), { recursive: true });
  writeFileSync(path.join(dirs.workspace, ".standin", "jobs", `${scriptStem}.mode`), mode);
}

/**
 * Gives the studio of `dirs` a repository of its own (in its temp folder): the fixture repo's stand-ins
 * plus the studio's real `setup/{part}` folders, for a test that runs a real script.
 */
export function withRealSetup(dirs: TestDirs, parts: readonly string[]): void {
  const repo = path.join(dirs.root, "repo");
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  for (const part of parts) {
    cpSync(path.join(findRepoRoot(), "setup", part), path.join(repo, "setup", part), { recursive: true });
  }
  dirs.env.REPO_DIR = repo;
}

/** An old copy a reinstall would leave in the workspace: `name` holding one file of `bytes`. */
export function oldCopy(dirs: TestDirs, name: string, bytes: number): void {
  mkdirSync(path.join(dirs.workspace, name, "venv"), { recursive: true });
  writeFileSync(path.join(dirs.workspace, name, "venv", "lib.so"), Buffer.alloc(bytes, 1));
}

export function removeDirs(dirs: TestDirs): void {
  rmSync(dirs.root, { recursive: true, force: true });
}
