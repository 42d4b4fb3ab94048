/**
 * Shared pieces of the hostile tests: JSON posts, browsers in a given role, a snapshot of a folder tree,
 * and the real built studio run as a child process (`node dist/server/main.js`).
 */
import { chownSync, cpSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { FIXTURE_REPO, type TestDirs, type TestStudio } from "../helpers/studio.js";
import type { Agent } from "../helpers/http.js";

export {
  ensureBuilt,
  MAIN_JS,
  ROOT,
  spawnStudio,
  type SpawnOptions,
  type StudioProcess,
} from "../helpers/built.js";
export { post, type Agent } from "../helpers/http.js";

export const ROSA = "Rosa Macak Cizmesija";
export const RAZVAN = "Razvan Matei";
export const ZOE = "Zoë Šimić";
export const USERS = [ROSA, RAZVAN, ZOE];

/** A JSON body sent as given (for bodies JSON.stringify cannot make, like a raw `__proto__` key). */
export const postRaw = (agent: Agent, url: string, raw: string) =>
  agent.post(url).set("Content-Type", "application/json").send(raw);

/** Every path under `root` (relative, with a trailing / for folders), skipping the folders in `skip`. */
export function snapshotTree(root: string, skip: string[] = []): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (skip.some((s) => rel === s || rel.startsWith(`${s}${path.sep}`))) continue;
      const folder = lstatSync(full).isDirectory();
      out.add(folder ? `${rel}/` : rel);
      if (folder) walk(full);
    }
  };
  walk(root);
  return out;
}

export function newPaths(before: Set<string>, after: Set<string>): string[] {
  return [...after].filter((p) => !before.has(p));
}

/** A copy of the fixture repo that a test may change (a broken start script, a missing one). */
export function copyFixtureRepo(dirs: TestDirs): string {
  const repo = path.join(dirs.root, "repo");
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  return repo;
}

/** The studio's resident memory in bytes (VmRSS of /proc/{pid}/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Whether the tests may run a studio as another user (they run as root). */
export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
export const NOBODY = 65534;

export function chownTree(root: string, uid: number): void {
  const walk = (p: string) => {
    chownSync(p, uid, uid);
    if (lstatSync(p).isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(root);
}

export type { TestDirs, TestStudio };
