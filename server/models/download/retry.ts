/**
 * One file from start to end: picks the transfer (ranges when the size is known, the file is larger than a
 * piece and the server has not refused ranges; else one stream), and tries again after a network error, a
 * dropped connection, 408/429 or 5xx, with a back-off that doubles up to 30 s (or the server's
 * `Retry-After`, up to 60 s). Progress since the last try earns a fresh set of retries; a StartOver does not
 * spend one (at most 3 in a row).
 *
 * ```ts
 * await Promise.all(pending.map((task) => files(() => runTask(task, ctx, progress))));
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { formatBytes } from "../../util/bytes.js";
import { HttpStatusError } from "../http.js";
import type { RunContext } from "./context.js";
import { FileFailure, StartOver } from "./errors.js";
import { HashSlot } from "./hasher.js";
import { formatDuration } from "./meter.js";
import type { Task } from "./plan.js";
import type { Progress } from "./progress.js";
import { fetchRanges } from "./ranged.js";
import { streamWhole } from "./single.js";

const FRESH_RETRIES_AFTER = 1 << 20;

/** Whether `task` goes over several Range connections. */
export function usesRanges(task: Task, ctx: RunContext): boolean {
  return (
    task.size !== undefined &&
    task.ranges !== false &&
    ctx.connectionsPerFile > 1 &&
    task.size > ctx.minPieceBytes
  );
}

/** The wait before retry number `failures` (1-based). Example: `backoffMs(3, 1000) // 4000`. */
export function backoffMs(failures: number, baseMs: number, error?: unknown): number {
  const wait = Math.min(30_000, baseMs * 2 ** (failures - 1));
  if (error instanceof HttpStatusError && error.retryAfterMs !== undefined) {
    return Math.min(60_000, Math.max(wait, error.retryAfterMs));
  }
  return wait;
}

export async function runTask(task: Task, ctx: RunContext, progress: Progress): Promise<void> {
  if (ctx.signal.aborted || task.state !== "pending") return;
  task.state = "running";
  task.startedAt = Date.now();
  ctx.log(
    `Downloading ${task.relDest}${task.size !== undefined ? ` (${formatBytes(task.size)})` : ""} from ${task.url}`,
  );
  const slot = new HashSlot(task.part, task.sha256 !== undefined);
  let failures = 0;
  let restarts = 0;
  try {
    for (;;) {
      const before = task.done;
      try {
        await (usesRanges(task, ctx) ? fetchRanges : streamWhole)(task, ctx, progress, slot);
        return;
      } catch (error) {
        if (ctx.signal.aborted) return;
        if (error instanceof FileFailure) return progress.fail(task, error.message);
        const message = ctx.redact(error instanceof Error ? error.message : String(error));
        if (error instanceof StartOver && ++restarts <= 3) {
          ctx.log(message);
          continue;
        }
        if (task.done - before >= FRESH_RETRIES_AFTER) failures = 0;
        failures++;
        if (failures > ctx.retries) {
          const tries = `${failures} tr${failures === 1 ? "y" : "ies"}`;
          return progress.fail(task, `${message} (gave up after ${tries}; ${task.url})`);
        }
        const wait = backoffMs(failures, ctx.retryBaseMs, error);
        ctx.log(
          `${task.relDest}: ${message}; trying again in ${formatDuration(wait / 1000)} (retry ${failures} of ${ctx.retries})`,
        );
        try {
          await sleep(wait, undefined, { signal: ctx.signal });
        } catch {
          return;
        }
      }
    }
  } finally {
    slot.reset();
  }
}
