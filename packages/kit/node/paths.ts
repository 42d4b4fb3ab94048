/**
 * Paths that stay under their root, and files opened without following links out of it.
 *
 * ```ts
 * resolveInside(outputRoot, artist);          // "/ws/ComfyUI/output/Rosa", or a 400 for "../x"
 * childPath(datasetDir, "cat_01.png");        // one name directly inside the folder, or a 400
 * const file = await openInside(dir, name);   // a FileHandle of a regular file really inside `dir`
 * ```
 */
import { accessSync, constants, statSync } from "node:fs";
import { open, realpath, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { StudioError } from "./errors.js";

/** Whether `target` is `root` or below it (both absolute and resolved). */
export function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function shown(parts: readonly string[]): string {
  return JSON.stringify(parts.join("/").slice(0, 200));
}

/** Resolves `parts` under `root` and refuses (400) any result outside it: `..`, absolute parts, NUL. */
export function resolveInside(root: string, ...parts: string[]): string {
  if (parts.some((part) => part.includes("\0"))) {
    throw new StudioError(400, `The path ${shown(parts)} contains a NUL character.`);
  }
  const base = path.resolve(root);
  const resolved = path.resolve(base, ...parts);
  if (!isInside(base, resolved))
    throw new StudioError(400, `The path ${shown(parts)} points outside its folder.`);
  return resolved;
}

/** `dir/name` for a single name directly inside `dir` (no separator, not `.` or `..`), else a 400. */
export function childPath(dir: string, name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes(path.sep)) {
    throw new StudioError(400, `The name ${shown([name])} is not a single name inside its folder.`);
  }
  return resolveInside(dir, name);
}

/** Why a file could not be opened inside its root, as the end of a sentence. */
const REFUSALS = {
  missing: "does not exist",
  "not a file": "is not a regular file",
  "a link": "is a link, which is not followed",
  outside: "is outside its folder",
} as const;

export type PathRefusal = keyof typeof REFUSALS;

/** A 404 that says why: `reason` tells a missing file from one that was refused. */
export class PathError extends StudioError {
  override name = "PathError";
  constructor(
    readonly reason: PathRefusal,
    parts: readonly string[],
  ) {
    super(404, `${shown(parts)} ${REFUSALS[reason]}.`);
  }
}

const NO_FOLLOW_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens a regular file under `root` for reading, never through a link: the last part may not be a link
 * (O_NOFOLLOW), a folder on the way may not lead out of the root (the opened file must be the one at its
 * real path, and that path inside the root's real path), and a FIFO or device is refused without blocking.
 */
export async function openInside(root: string, ...parts: string[]): Promise<FileHandle> {
  const file = resolveInside(root, ...parts);
  let handle: FileHandle;
  try {
    handle = await open(file, NO_FOLLOW_READ);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new PathError("missing", parts);
    if (code === "ELOOP") throw new PathError("a link", parts);
    throw error;
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw new PathError("not a file", parts);
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    const atRealPath = await stat(realFile);
    if (!isInside(realRoot, realFile) || atRealPath.ino !== opened.ino || atRealPath.dev !== opened.dev) {
      throw new PathError("outside", parts);
    }
    return handle;
  } catch (error) {
    await handle.close();
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new PathError("missing", parts);
    throw error;
  }
}

/** The whole content of a regular file under `root`, read as `openInside` opens it. */
export async function readInside(root: string, ...parts: string[]): Promise<Buffer> {
  const handle = await openInside(root, ...parts);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Why `file` cannot be read as a regular file (missing, not a file, unreadable), or null. */
export function readableFileProblem(file: string): string | null {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return "is missing";
  }
  if (!stats.isFile()) return "is not a file";
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return "cannot be read";
  }
  return null;
}
