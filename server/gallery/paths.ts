/**
 * Paths inside an artist's output folder, checked before anything is read, served or deleted: a path
 * must name a file below the folder by a plain relative path (no `..`, no absolute path, no hidden part),
 * and no part of it may be a link; a file is opened without following a link at its end either.
 *
 * ```ts
 * const rel = checkRelative(req.query.path);          // 400 for "../x", "/etc/passwd", ...
 * const file = await openInside(artistDir, rel);       // 404 for a link, a folder or a missing file
 * ```
 */
import { constants, promises as fs, type Stats } from "node:fs";
import path from "node:path";
import { badRequest, notFound } from "../util/errors.js";

/** The most characters a path in a request may have. */
export const MAX_PATH = 1024;

/** Checks a path from a request: relative, inside, not hidden; answers it normalised (with `/`). */
export function checkRelative(value: string): string {
  const shown = JSON.stringify(value.slice(0, 120));
  if (value === "" || value.length > MAX_PATH) throw badRequest(`The path ${shown} is empty or too long.`);
  if (value.includes("\0") || value.includes("\\"))
    throw badRequest(`The path ${shown} has a character a gallery path may not have.`);
  if (value.startsWith("/")) throw badRequest(`The path ${shown} must be relative to the artist's folder.`);
  const parts = value.split("/");
  if (parts.some((part) => part === ".." || part === "." || part === ""))
    throw badRequest(`The path ${shown} leaves the artist's folder or has an empty part.`);
  if (parts.some((part) => part.startsWith("."))) throw notFound(`There is no file ${shown} in the gallery.`);
  return parts.join("/");
}

/** The real path of an artist's folder (it may sit behind a link on the volume), or null when missing. */
export async function realFolder(dir: string): Promise<string | null> {
  try {
    const real = await fs.realpath(dir);
    return (await fs.stat(real)).isDirectory() ? real : null;
  } catch {
    return null;
  }
}

export interface OpenedFile {
  handle: fs.FileHandle;
  stats: Stats;
  /** Its full path (which is also its real path). */
  full: string;
}

/** Where `rel` is under `root` when no part of it is a link and it is a regular file; else a 404. */
export async function locateInside(root: string, rel: string): Promise<{ full: string; stats: Stats }> {
  const missing = () => notFound(`There is no file ${JSON.stringify(rel.slice(0, 120))} in the gallery.`);
  const base = await realFolder(root);
  if (base === null) throw missing();
  const full = path.join(base, ...rel.split("/"));
  let real: string;
  let stats: Stats;
  try {
    real = await fs.realpath(full);
    stats = await fs.lstat(full);
  } catch {
    throw missing();
  }
  // A link anywhere on the way makes the real path differ: such a path is never served.
  if (real !== full || !stats.isFile()) throw missing();
  return { full, stats };
}

/** Opens `rel` under `root` for reading, never through a link; the caller closes the handle. */
export async function openInside(root: string, rel: string): Promise<OpenedFile> {
  const { full } = await locateInside(root, rel);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    throw notFound(`There is no file ${JSON.stringify(rel.slice(0, 120))} in the gallery.`);
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw notFound(`There is no file ${JSON.stringify(rel.slice(0, 120))} in the gallery.`);
  }
  return { handle, stats, full };
}
