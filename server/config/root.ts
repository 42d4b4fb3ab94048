/** The repository root, found once: the folder above this file that holds package.json and setup/. */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** From `server/config/` and from `dist/server/config/` alike. */
export function findRepoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "setup"))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export const REPO_ROOT = findRepoRoot();

/**
 * The built JavaScript of `relative` (a `.js` name) beside the module at `moduleUrl`: the file itself when
 * the studio runs built, its copy under `dist/` when the code runs from the TypeScript sources (the tests,
 * which `npm test` builds first). For what must start as a file of its own, such as a worker thread.
 *
 * ```ts
 * new Worker(builtModule(import.meta.url, "./thread/entry.js"));
 * ```
 */
export function builtModule(moduleUrl: string, relative: string): URL {
  const url = new URL(relative, moduleUrl);
  if (!moduleUrl.endsWith(".ts")) return url;
  const inRepo = path.relative(REPO_ROOT, fileURLToPath(url));
  return pathToFileURL(path.join(REPO_ROOT, "dist", inRepo));
}
