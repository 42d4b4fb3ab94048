/**
 * The plan of a run: one task per distinct DEST (a file shared by several sets is fetched once), and what of
 * it is already on disk: a complete file is skipped, a `.part` (with its range state, if any) is resumed.
 *
 * ```ts
 * const { groups, tasks } = planTasks(sets, ctx);
 * await inspectDisk(tasks, ctx, progress);
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { formatBytes } from "../../util/bytes.js";
import { isInside, urlProblem } from "../manifest.js";
import type { RunContext } from "./context.js";
import { SpeedMeter } from "./meter.js";
import { dropRangeState, heldBytes, loadRangeState } from "./pieces.js";
import type { DownloadGroup } from "./types.js";

export interface Task {
  url: string;
  dest: string;
  part: string;
  relDest: string;
  sha256?: string;
  groups: GroupState[];
  size?: number;
  /** Whether the server takes Range requests: true or false once an answer told, else unknown. */
  ranges?: boolean;
  /** Bytes on disk: what the `.part` holds so far, or the whole file once complete. */
  done: number;
  state: "pending" | "running" | "skipped" | "done" | "failed";
  error?: string;
  meter: SpeedMeter;
  lastLog: number;
  startedAt: number;
  /** Bytes received in this run. */
  received: number;
}

export interface GroupState {
  id: string;
  name: string;
  tasks: Task[];
  meter: SpeedMeter;
  lastEmit: number;
  finished: boolean;
}

/** Size of a regular file, or undefined. Example: `await sizeOnDisk("/w/a.bin.part") // 3145728`. */
export async function sizeOnDisk(file: string): Promise<number | undefined> {
  const stat = await fs.stat(file).catch(() => undefined);
  return stat?.isFile() ? stat.size : undefined;
}

/** One task per distinct DEST, each linked to every set that lists it. */
export function planTasks(
  sets: readonly DownloadGroup[],
  ctx: RunContext,
): { groups: GroupState[]; tasks: Task[] } {
  const groups: GroupState[] = [];
  const byDest = new Map<string, Task>();
  for (const set of sets) {
    const group: GroupState = {
      id: set.id,
      name: set.name,
      tasks: [],
      meter: new SpeedMeter(),
      lastEmit: 0,
      finished: false,
    };
    groups.push(group);
    for (const file of set.files) {
      const dest = path.resolve(file.dest);
      const existing = byDest.get(dest);
      if (existing) {
        if (existing.url !== file.url)
          ctx.log(`${existing.relDest} is listed with two URLs; using ${existing.url}`);
        if (!existing.groups.includes(group)) existing.groups.push(group);
        if (!group.tasks.includes(existing)) group.tasks.push(existing);
        continue;
      }
      const task: Task = {
        url: file.url,
        dest,
        part: `${dest}.part`,
        relDest: file.relDest ?? path.relative(ctx.workspaceDir, dest).split(path.sep).join("/"),
        sha256: file.sha256?.toLowerCase(),
        groups: [group],
        size: ctx.cache.get(file.url),
        done: 0,
        state: "pending",
        meter: new SpeedMeter(),
        lastLog: 0,
        startedAt: 0,
        received: 0,
      };
      byDest.set(dest, task);
      group.tasks.push(task);
    }
  }
  return { groups, tasks: [...byDest.values()] };
}

/** Bytes a `.part` holds: the sum over its saved ranges, or its size when one stream wrote it. */
export async function partHolds(task: Task): Promise<number> {
  const state = await loadRangeState(task.part, task.url);
  if (state && (task.size === undefined || task.size === state.size)) return heldBytes(state.pieces);
  return (await sizeOnDisk(task.part)) ?? 0;
}

/**
 * Refuses what must not be fetched (DEST outside the workspace, a URL with a credential), skips complete
 * files and counts what each `.part` holds. `fail` marks a task failed.
 */
export async function inspectDisk(
  tasks: readonly Task[],
  ctx: RunContext,
  fail: (task: Task, message: string) => void,
): Promise<void> {
  for (const task of tasks) {
    if (!isInside(ctx.workspaceDir, task.dest)) {
      fail(task, `DEST ${task.dest} is outside the workspace ${ctx.workspaceDir}`);
      continue;
    }
    const badUrl = urlProblem(task.url);
    if (badUrl) {
      task.url = "(URL not shown)";
      fail(task, badUrl);
      continue;
    }
    const onDisk = await sizeOnDisk(task.dest);
    if (onDisk !== undefined && (task.size === undefined || task.size === onDisk)) {
      task.state = "skipped";
      task.done = onDisk;
      if (task.size === undefined) {
        task.size = onDisk;
        await ctx.remember(task.url, onDisk);
      }
      await fs.rm(task.part, { force: true });
      await dropRangeState(task.part);
      continue;
    }
    if (onDisk !== undefined) {
      ctx.log(
        `${task.relDest} is ${formatBytes(onDisk)} on disk but the file is ${formatBytes(task.size ?? 0)}; downloading it again`,
      );
    }
    task.done = await partHolds(task);
  }
}
