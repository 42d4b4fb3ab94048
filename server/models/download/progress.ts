/**
 * Progress of a run: per-set reports for the page (at most every `progressIntervalMs`, and a last one per
 * set), and per-file lines in the job log (at most every `logIntervalMs`).
 *
 * ```ts
 * const progress = new Progress(groups, ctx);
 * progress.add(task, 1 << 20);   // bytes arrived and written
 * progress.fail(task, "not found (HTTP 404)");
 * progress.finishAll();
 * ```
 */
import { formatBytes, formatRate } from "../../util/bytes.js";
import type { RunContext } from "./context.js";
import { formatDuration } from "./meter.js";
import type { GroupState, Task } from "./plan.js";
import type { DownloadProgress } from "./types.js";

/** What a progress bar shows for one set. */
export function groupProgress(group: GroupState): DownloadProgress {
  let doneBytes = 0;
  let totalBytes = 0;
  let filesDone = 0;
  let filesFailed = 0;
  for (const task of group.tasks) {
    const complete = task.state === "done" || task.state === "skipped";
    doneBytes += complete ? (task.size ?? task.done) : task.done;
    totalBytes += task.size ?? task.done;
    if (complete) filesDone++;
    if (task.state === "failed") filesFailed++;
  }
  return {
    id: group.id,
    name: group.name,
    doneBytes,
    totalBytes,
    filesDone,
    filesFailed,
    filesTotal: group.tasks.length,
    bytesPerSecond: Math.round(group.meter.rate()),
    finished: group.finished,
  };
}

/** A log line for a file in flight. Example: `m/a.bin:  41.9%  7.0 MB / 16.8 MB  52.4 MB/s  0s left`. */
export function progressLine(task: Task): string {
  const rate = task.meter.rate();
  const size = task.size;
  const parts = [`${task.relDest}:`];
  if (size !== undefined && size > 0) {
    parts.push(
      `${((task.done / size) * 100).toFixed(1)}%`,
      `${formatBytes(task.done)} / ${formatBytes(size)}`,
    );
  } else {
    parts.push(formatBytes(task.done));
  }
  if (rate > 0) parts.push(formatRate(rate));
  if (size !== undefined && rate > 0) parts.push(`${formatDuration((size - task.done) / rate)} left`);
  return parts.join("  ");
}

export class Progress {
  constructor(
    private readonly groups: readonly GroupState[],
    private readonly ctx: RunContext,
  ) {}

  /** Reports `group` when its interval has passed, or at once with `force`. */
  emit(group: GroupState, force = false): void {
    const sink = this.ctx.onProgress;
    if (!sink) return;
    const now = Date.now();
    if (!force && now - group.lastEmit < this.ctx.progressIntervalMs) return;
    group.lastEmit = now;
    try {
      sink(groupProgress(group));
    } catch {
      // a broken progress sink must not stop the download
    }
  }

  /** Reports every set of `task` at once. */
  emitFor(task: Task): void {
    for (const group of task.groups) this.emit(group, true);
  }

  /** Counts `bytes` that arrived for `task`, and reports and logs when their intervals have passed. */
  add(task: Task, bytes: number): void {
    if (bytes <= 0) return;
    task.done += bytes;
    task.received += bytes;
    task.meter.add(bytes);
    for (const group of task.groups) {
      group.meter.add(bytes);
      this.emit(group);
    }
    const now = Date.now();
    if (now - task.lastLog >= this.ctx.logIntervalMs) {
      task.lastLog = now;
      this.ctx.log(progressLine(task));
    }
  }

  /** Marks `task` failed with `message` (redacted), logs it and reports its sets. */
  fail(task: Task, message: string): void {
    task.state = "failed";
    task.error = this.ctx.redact(message);
    this.ctx.log(`FAILED ${task.relDest}: ${task.error}`);
    this.emitFor(task);
  }

  /** The last report of every set. */
  finishAll(): void {
    for (const group of this.groups) {
      group.finished = true;
      this.emit(group, true);
    }
  }

  /** Reports every set now (after the plan, before the transfers). */
  emitAll(): void {
    for (const group of this.groups) this.emit(group, true);
  }
}
