/**
 * The end of a file's transfer: check the SHA-256 when the manifest gives one (a mismatch deletes the
 * download), move the `.part` to DEST, drop its range state, remember the size and log the result.
 *
 * ```ts
 * await finishFile(task, ctx, progress, slot); // throws FileFailure on a checksum mismatch
 * ```
 */
import { promises as fs } from "node:fs";
import { formatBytes, formatRate } from "../../util/bytes.js";
import type { RunContext } from "./context.js";
import { FileFailure } from "./errors.js";
import type { HashSlot } from "./hasher.js";
import { formatDuration } from "./meter.js";
import { dropRangeState } from "./pieces.js";
import { sizeOnDisk, type Task } from "./plan.js";
import type { Progress } from "./progress.js";

/** Deletes the `.part` and its range state: the file starts from nothing. */
export async function discardPart(task: Task, slot: HashSlot): Promise<void> {
  slot.reset();
  await fs.rm(task.part, { force: true });
  await dropRangeState(task.part);
  task.done = 0;
}

export async function finishFile(
  task: Task,
  ctx: RunContext,
  progress: Progress,
  slot: HashSlot,
): Promise<void> {
  const size = (await sizeOnDisk(task.part)) ?? 0;
  if (task.sha256) {
    const digest = await slot.digest(size);
    if (digest !== task.sha256) {
      await discardPart(task, slot);
      throw new FileFailure(
        `checksum mismatch: expected sha256 ${task.sha256}, got ${digest}; the download was deleted (${task.url})`,
      );
    }
  }
  await fs.rename(task.part, task.dest);
  await dropRangeState(task.part);
  task.size = size;
  task.done = size;
  task.state = "done";
  await ctx.remember(task.url, size);
  const seconds = (Date.now() - task.startedAt) / 1000;
  const rate = seconds > 0 ? task.received / seconds : 0;
  ctx.log(
    `Done ${task.relDest}: ${formatBytes(size)}` +
      (task.received > 0
        ? ` (${formatBytes(task.received)} in ${formatDuration(seconds)}, ${formatRate(rate)})`
        : "") +
      (task.sha256 ? ", checksum OK" : ""),
  );
  progress.emitFor(task);
}
