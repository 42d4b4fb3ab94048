/**
 * The image builds from the repository as it is. The build context is laid out as Docker sees it (the tree
 * after .dockerignore, read with a port of Docker's own matcher), the Dockerfile's own steps after
 * `WORKDIR /app` are run there as written (its COPY and RUN lines: npm ci, npm run build, npm prune
 * --omit=dev, start_server.sh --stamp), and then the pruned tree is used as the pod would: the studio starts
 * and answers /healthz, start_server.sh finds nothing to rebuild, and the LoRA-Tool's jobs and the tool
 * itself work without the build tools.
 */
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import dockerignore from "@balena/dockerignore";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { REPO_ROOT } from "./sandbox.js";
import { dockerInstructions } from "./dockerfile.js";

const root = mkdtempSync(path.join(os.tmpdir(), "comfystudio build context "));
const context = path.join(root, "context");
const app = path.join(root, "app");
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Copies the repository into `context`, leaving out what .dockerignore excludes. */
function layOutContext(): void {
  const patterns = readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8").split("\n");
  // A CommonJS module: its function is also its `default`, which is what the types describe.
  const ig = dockerignore.default().add(patterns);
  // Docker skips an excluded folder entirely unless an exception (`!...`) could bring something back.
  const exceptions = patterns.some((line) => line.trim().startsWith("!"));
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(REPO_ROOT, relative), { withFileTypes: true })) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      const from = path.join(REPO_ROOT, rel);
      const to = path.join(context, rel);
      if (entry.isDirectory()) {
        if (ig.ignores(rel) && !exceptions) continue;
        walk(rel);
      } else if (!ig.ignores(rel)) {
        mkdirSync(path.dirname(to), { recursive: true });
        if (entry.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
        else copyFileSync(from, to);
      }
    }
  };
  walk("");
}

/** A regular expression for one path segment of a COPY source (Go's filepath.Match: `*`, `?`, `[...]`). */
function segmentPattern(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) throw new Error(`unclosed [ in COPY source ${glob}`);
      out += `[${glob.slice(i + 1, end).replace(/^\^|^!/, "^")}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** The files a COPY source names in the context (wildcards in its last segment may match nothing). */
function copySources(source: string): string[] {
  if (source === ".") return ["."];
  const dir = path.posix.dirname(source);
  const last = path.posix.basename(source);
  if (/[*?[]/.test(dir)) throw new Error(`wildcards only in the last segment of a COPY source: ${source}`);
  if (!/[*?[]/.test(last)) {
    if (!existsSync(path.join(context, source))) throw new Error(`COPY ${source}: not in the build context`);
    return [source];
  }
  const pattern = segmentPattern(last);
  const base = path.join(context, dir);
  return existsSync(base)
    ? readdirSync(base)
        .filter((name) => pattern.test(name))
        .map((name) => path.posix.join(dir, name))
    : [];
}

/** Docker's COPY of context sources to `dest` (relative to the working folder `app`). */
function copy(sources: string[], dest: string): void {
  const target = path.join(app, dest);
  for (const source of sources.flatMap(copySources)) {
    const from = path.join(context, source);
    if (lstatSync(from).isDirectory()) {
      copyTree(from, source === "." ? target : path.join(target, path.basename(source)));
    } else {
      const to = dest.endsWith("/") || sources.length > 1 ? path.join(target, path.basename(source)) : target;
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
  }
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyTree(source, path.join(to, entry.name));
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), path.join(to, entry.name));
    else copyFileSync(source, path.join(to, entry.name));
  }
}

/** The environment the build steps and the pruned tree run with: this machine's Node.js and npm cache. */
const env = (extra: Record<string, string> = {}) => ({
  PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
  HOME: process.env.HOME ?? root,
  LANG: "C.UTF-8",
  ...extra,
});

// The Dockerfile's steps in the image's working folder, in order.
const steps = (() => {
  const lines = dockerInstructions().stages.at(-1)!;
  const from = lines.findIndex((line) => /^WORKDIR \/app$/i.test(line));
  expect(from, "WORKDIR /app in the last stage").toBeGreaterThan(0);
  return lines.slice(from + 1).filter((line) => /^(COPY|RUN)\s/i.test(line));
})();

describe("the image's build context", () => {
  beforeAll(async () => {
    layOutContext();
    mkdirSync(app);
    for (const step of steps) {
      const [instruction, ...words] = step.split(/\s+/);
      if (/^COPY$/i.test(instruction!)) {
        if (words.some((word) => word.startsWith("--")))
          throw new Error(`a COPY option this test cannot follow: ${step}`);
        copy(words.slice(0, -1), words.at(-1)!);
      } else {
        const command = step.replace(/^RUN\s+/i, "");
        const result = await execa("sh", ["-c", command], {
          cwd: app,
          env: env(),
          extendEnv: false,
          reject: false,
          all: true,
        });
        if (result.exitCode !== 0)
          throw new Error(`RUN ${command} failed (exit ${result.exitCode}):\n${result.all}`);
      }
    }
  }, 600_000);

  it("is built by the Dockerfile's own steps: npm ci, the build, the prune and the stamps", () => {
    const runs = steps.filter((step) => /^RUN\s/i.test(step)).join("\n");
    for (const command of ["npm ci", "npm run build", "npm prune --omit=dev", "./start_server.sh --stamp"]) {
      expect(runs, command).toContain(command);
    }
    // Every npm workspace's package.json is there for `npm ci`.
    const workspaces =
      (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { workspaces?: string[] })
        .workspaces ?? [];
    const ci = steps.findIndex((step) => /^RUN\s.*npm ci/i.test(step));
    const copied = steps
      .slice(0, ci)
      .filter((step) => /^COPY\s/i.test(step))
      .join("\n");
    for (const workspace of workspaces) expect(copied, workspace).toContain(`${workspace}/package.jso`);
    // Pruned: the compiler is gone, the studio's build is there.
    expect(existsSync(path.join(app, "node_modules/.bin/tsc"))).toBe(false);
    expect(existsSync(path.join(app, "dist/server/main.js"))).toBe(true);
    expect(existsSync(path.join(app, "dist/lora-tool/server/main.js"))).toBe(true);
    expect(existsSync(path.join(app, "test"))).toBe(false);
  });

  it("needs no rebuild at the container's start", async () => {
    const result = await execa("bash", ["start_server.sh", "--prepare"], {
      cwd: app,
      env: env(),
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain("the build is up to date");
    expect(result.all).not.toContain("npm ci");
  });

  it("runs the pruned studio until /healthz answers", async () => {
    const port = await freePort();
    const studio = execa(process.execPath, ["dist/server/main.js"], {
      cwd: app,
      env: env({
        PORT: String(port),
        HOST: "127.0.0.1",
        WORKSPACE_DIR: path.join(root, "workspace"),
        STATE_DIR: path.join(root, "state"),
      }),
      extendEnv: false,
      reject: false,
      all: true,
    });
    try {
      const health = await waitFor(
        async () => {
          if (studio.exitCode !== null) throw new Error(`the studio exited: ${studio.exitCode}`);
          const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
          return response?.status === 200 ? await response.json() : null;
        },
        { timeoutMs: 30_000, what: "the pruned studio to answer /healthz" },
      );
      expect(health).toEqual({ success: true, ok: true });
    } finally {
      studio.kill("SIGTERM");
      await studio;
    }
  });

  it("runs the LoRA-Tool's install, update and reinstall, and the tool itself, without the build tools", async () => {
    const jobEnv = env({
      REPO_DIR: app,
      WORKSPACE_DIR: path.join(root, "workspace"),
      STATE_DIR: path.join(root, "state"),
    });
    for (const action of ["install", "update", "reinstall"]) {
      const result = await execa("bash", [`setup/lora-tool/${action}_lora_tool.sh`], {
        cwd: app,
        env: jobEnv,
        extendEnv: false,
        reject: false,
        all: true,
      });
      expect(result.exitCode, `${action}: ${result.all}`).toBe(0);
    }
    const port = await freePort();
    const tool = execa("bash", ["setup/lora-tool/start_lora_tool.sh"], {
      cwd: app,
      env: { ...jobEnv, PORT: String(port) },
      extendEnv: false,
      reject: false,
      all: true,
    });
    try {
      const status = await waitFor(
        async () => {
          if (tool.exitCode !== null) throw new Error(`the LoRA-Tool exited: ${tool.exitCode}`);
          return (await fetch(`http://127.0.0.1:${port}/`).catch(() => null))?.status;
        },
        { timeoutMs: 30_000, what: "the LoRA-Tool to answer" },
      );
      expect(status).toBeLessThan(500);
    } finally {
      tool.kill("SIGTERM");
      await tool;
    }
  });
});
