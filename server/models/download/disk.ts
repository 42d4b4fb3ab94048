/**
 * The disk check before any transfer: the bytes still to come must fit in the free space of the workspace's
 * disk (a resumable `.part` counts what it holds; a file of unknown size is not counted, and said so).
 *
 * ```ts
 * await checkSpace(pending, ctx); // throws NotEnoughSpaceError, or logs "Disk: needs 8.4 MB, 79.1 GB free on /workspace"
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { formatBytes } from "../../util/bytes.js";
import type { RunContext } from "./context.js";
import { NotEnoughSpaceError } from "./errors.js";
import type { Task } from "./plan.js";

async function statfsFree(dir: string): Promise<number> {
  const stat = await fs.statfs(dir);
  return Number(stat.bavail) * Number(stat.bsize);
}

/** The deepest folder of `dir`'s path that exists (the workspace may not be made yet). */
export async function nearestExistingDir(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    if ((await fs.stat(current).catch(() => undefined))?.isDirectory()) return current;
    const parent = path.dirname(current);
    if (parent === current) return current;
    current = parent;
  }
}

/** Bytes still to come for `tasks`, and how many of them have no known size. */
export function bytesNeeded(tasks: readonly Task[]): { needed: number; unknownSizes: number } {
  let needed = 0;
  let unknownSizes = 0;
  for (const t of tasks) {
    if (t.size === undefined) unknownSizes++;
    else needed += Math.max(0, t.size - t.done);
  }
  return { needed, unknownSizes };
}

/** Throws NotEnoughSpaceError (and logs it) when `tasks` will not fit; a free space it cannot tell is noted. */
export async function checkSpace(tasks: readonly Task[], ctx: RunContext): Promise<void> {
  if (tasks.length === 0) return;
  const { needed, unknownSizes } = bytesNeeded(tasks);
  const dir = await nearestExistingDir(ctx.workspaceDir);
  let free: number;
  try {
    free = await (ctx.freeSpace ?? statfsFree)(dir);
  } catch (error) {
    ctx.log(`Note: cannot tell the free space on ${dir}: ${(error as Error).message}`);
    return;
  }
  const unknown =
    unknownSizes > 0
      ? ` (${unknownSizes} file${unknownSizes === 1 ? "" : "s"} of unknown size not counted)`
      : "";
  ctx.log(`Disk: needs ${formatBytes(needed)}, ${formatBytes(free)} free on ${dir}${unknown}`);
  if (needed > free) {
    const error = new NotEnoughSpaceError(needed, free, dir);
    ctx.log(error.message);
    throw error;
  }
}
