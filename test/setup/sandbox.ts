/**
 * A sandbox for running the setup scripts: a temporary WORKSPACE_DIR (with a space in its path),
 * a bin folder with the stand-in commands of test/fixtures/bin first on PATH, and a log of every
 * call the stand-ins got.
 *
 * ```ts
 * const box = await makeSandbox();
 * const result = await box.run("setup/comfy/install_comfy.sh");
 * expect(await box.clones()).toContain("https://github.com/comfyanonymous/ComfyUI.git");
 * await box.cleanup();
 * ```
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { afterEach, beforeEach, expect } from "vitest";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURE_BIN = path.join(REPO_ROOT, "test/fixtures/bin");
/** System folders after the stand-ins: bash, coreutils, node, ss, ... */
export const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface Call {
  cwd: string;
  ppid: number;
  /** The command as it was called (a path). */
  command: string;
  /** Its base name: git, uv, python, ... */
  name: string;
  args: string[];
  /** Variables listed in FAKE_RECORD_ENV, as the command saw them. */
  env: Record<string, string>;
}

export interface RunResult {
  exitCode: number | undefined;
  output: string;
}

export interface Sandbox {
  root: string;
  workspace: string;
  bin: string;
  logFile: string;
  env(extra?: Record<string, string | undefined>): Record<string, string>;
  run(script: string, extra?: Record<string, string | undefined>, args?: string[]): Promise<RunResult>;
  spawn(script: string, extra?: Record<string, string | undefined>): ResultPromise;
  calls(name?: string): Promise<Call[]>;
  /** The URLs the stand-in git was asked to clone, in order. */
  clones(): Promise<(string | undefined)[]>;
  clearCalls(): Promise<void>;
  ws(...parts: string[]): string;
  write(relative: string, content: string): Promise<string>;
  /** Writes each file (a path in the workspace) with its content, one after another. */
  writeFiles(files: Record<string, string>): Promise<void>;
  read(relative: string): Promise<string>;
  /** Expects each file (a path in the workspace) to hold exactly its content. */
  expectFiles(files: Record<string, string>): Promise<void>;
  exists(relative: string): boolean;
  cleanup(): Promise<void>;
}

/** Makes a sandbox; `omit` leaves stand-ins out of its bin folder (e.g. ["uv"]). */
export async function makeSandbox({ omit = [] as string[] } = {}): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), "comfystudio setup "));
  const workspace = path.join(root, "work space");
  const bin = path.join(root, "bin");
  const home = path.join(root, "home");
  const logFile = path.join(root, "calls.log");
  await Promise.all([mkdir(workspace), mkdir(bin), mkdir(home)]);
  for (const name of await readdir(FIXTURE_BIN)) {
    if (name.startsWith("_") || omit.includes(name)) continue;
    await symlink(path.join(FIXTURE_BIN, name), path.join(bin, name));
  }
  await writeFile(logFile, "");

  const env = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
    const merged: Record<string, string | undefined> = {
      PATH: `${bin}:${SYSTEM_PATH}`,
      HOME: home,
      LANG: "C.UTF-8",
      WORKSPACE_DIR: workspace,
      FAKE_LOG: logFile,
      STOP_GRACE_MS: "5000",
      SETUP_RETRY_DELAY_SECONDS: "0",
      // The image's JupyterLab (/opt/jupyterlab) is never this machine's.
      JUPYTER_IMAGE_VENV: path.join(root, "image-jupyterlab"),
      ...extra,
    };
    return Object.fromEntries(
      Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined),
    );
  };

  /** A script run in the sandbox: its own environment only, from the workspace, never rejecting. */
  const bash = (
    script: string,
    extra: Record<string, string | undefined>,
    args: string[],
    timeout?: number,
  ) =>
    execa("bash", [path.resolve(REPO_ROOT, script), ...args], {
      env: env(extra),
      extendEnv: false,
      cwd: workspace,
      reject: false,
      all: true,
      stdin: "ignore",
      timeout,
    });

  const box: Sandbox = {
    root,
    workspace,
    bin,
    logFile,
    env,
    async run(script, extra = {}, args = []) {
      const result = await bash(script, extra, args, 30_000);
      return { exitCode: result.exitCode, output: result.all ?? "" };
    },
    spawn: (script, extra = {}) => bash(script, extra, []),
    async calls(name) {
      const text = await readFile(logFile, "utf8");
      const calls: Call[] = [];
      for (const line of text.split("\n")) {
        if (!line) continue;
        const fields = line.split("\t");
        if (fields[0] === "env") {
          const last = calls.at(-1);
          const [key, ...value] = (fields[1] ?? "").split("=");
          if (last && key) last.env[key] = value.join("=");
          continue;
        }
        const [cwd = "", ppid = "0", command = "", ...args] = fields;
        calls.push({ cwd, ppid: Number(ppid), command, name: path.basename(command), args, env: {} });
      }
      return name === undefined ? calls : calls.filter((call) => call.name === name);
    },
    async clones() {
      return withPrefix(await box.calls("git"), "clone").map((call) => call.args.at(-2));
    },
    async clearCalls() {
      await writeFile(logFile, "");
    },
    ws: (...parts) => path.join(workspace, ...parts),
    async write(relative, content) {
      const file = path.join(workspace, relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    async writeFiles(files) {
      for (const [relative, content] of Object.entries(files)) await box.write(relative, content);
    },
    read: async (relative) => await readFile(path.join(workspace, relative), "utf8"),
    async expectFiles(files) {
      for (const [relative, content] of Object.entries(files)) {
        expect(await box.read(relative), relative).toBe(content);
      }
    },
    exists: (relative) => existsSync(path.join(workspace, relative)),
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
  return box;
}

/** The five scripts of the tool in setup/{folder}: `{action}_{stem}.sh`, as paths from the repository. */
export function toolScripts(folder: string, stem: string): Record<ToolAction, string> {
  const script = (action: ToolAction) => `setup/${folder}/${action}_${stem}.sh`;
  return {
    install: script("install"),
    start: script("start"),
    update: script("update"),
    reinstall: script("reinstall"),
    kill: script("kill"),
  };
}
export type ToolAction = "install" | "start" | "update" | "reinstall" | "kill";

/**
 * Expects `run` to be the server a start script exec'd: the command `command` (when given), run from
 * `cwd`, whose parent is this test's process because `exec` put it in the script's place.
 */
export function expectExeced(
  run: Call | undefined,
  { command, cwd }: { command?: string; cwd: string },
): void {
  if (command !== undefined) expect(run?.command).toBe(command);
  expect(run?.cwd).toBe(cwd);
  expect(run?.ppid).toBe(process.pid);
}

/** The args of calls whose first args are `prefix` (e.g. ["pip", "install"]). */
export function withPrefix(calls: Call[], ...prefix: string[]): Call[] {
  return calls.filter((call) => prefix.every((word, i) => call.args[i] === word));
}

/**
 * What install_comfy.sh leaves behind, made directly (faster than running it): a ComfyUI clone
 * with a stand-in venv.
 */
export async function fakeComfyInstall(box: Sandbox): Promise<void> {
  await box.write("ComfyUI/.git/HEAD", "ref: refs/heads/master\n");
  await box.write("ComfyUI/main.py", "print('ComfyUI')\n");
  await box.write("ComfyUI/venv/pyvenv.cfg", "home = /usr/bin\n");
  await mkdir(box.ws("ComfyUI/venv/bin"), { recursive: true });
  await symlink(path.join(FIXTURE_BIN, "python"), box.ws("ComfyUI/venv/bin/python"));
  await mkdir(box.ws("ComfyUI/custom_nodes"), { recursive: true });
}

/** The last line of a script's output that is not empty. */
export function lastLine(output: string): string {
  return output.trimEnd().split("\n").at(-1) ?? "";
}

/** The last `[tag] error: ...` line of a script's output (the one the studio copies into a job's record). */
export function lastErrorLine(output: string): string {
  return output.split("\n").findLast((line) => /^\[[\w-]+\] error: /.test(line)) ?? "";
}

/** The hosts the scripts' network check asked (curl calls with --connect-timeout), in order. */
export async function preflightHosts(box: Sandbox): Promise<string[]> {
  return (await box.calls("curl"))
    .filter((call) => call.args.includes("--connect-timeout") && call.args.includes("/dev/null"))
    .map((call) => new URL(call.args.at(-1)!).host);
}

/**
 * A fresh sandbox for each test of the file, handed to `use` before the test and cleaned up after it.
 * `replace` swaps it for one made with other options (the old one is cleaned up).
 *
 * ```ts
 * let box: Sandbox;
 * const boxes = eachSandbox((made) => (box = made));
 * ```
 */
export function eachSandbox(use: (box: Sandbox) => void): {
  replace: (options?: { omit?: string[] }) => Promise<void>;
} {
  let current: Sandbox | undefined;
  const make = async (options?: { omit?: string[] }) => {
    current = await makeSandbox(options);
    use(current);
  };
  beforeEach(() => make());
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return {
    replace: async (options) => {
      await current?.cleanup();
      await make(options);
    },
  };
}

/** Runs a script in the sandbox and expects it to succeed (its output shown when it does not). */
export async function runOk(
  box: Sandbox,
  script: string,
  extra: Record<string, string | undefined> = {},
): Promise<RunResult> {
  const result = await box.run(script, extra);
  expect(result.exitCode, result.output).toBe(0);
  return result;
}
