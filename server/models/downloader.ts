/**
 * The resumable model downloader. It runs in-process (no curl, so a token is never in a process's
 * arguments); the studio's model jobs run it in a thread of its own (`thread/run.ts`). A file of known size is fetched over several Range connections written at their offsets into
 * `DEST.part`, with a small range state beside it so a crash resumes each piece; other files stream over one
 * connection. The SHA-256, when the manifest gives one, is computed while the file arrives; then the `.part`
 * becomes DEST. Each step lives in `download/`: plan, probe, disk, single/ranged transfer, retry, summary.
 *
 * ```ts
 * const controller = new AbortController();
 * await downloadSets(selectedSets, {
 *   workspaceDir, stateDir,
 *   tokens: { hf: body.hf_token ?? config.secrets.hfToken, civitai: body.civit_token ?? config.secrets.civitaiToken },
 *   signal: controller.signal,
 *   log: (line) => jobLog.write(line + "\n"),
 *   onProgress: (p) => progress.set(p.id, p),
 * }); // rejects with DownloadError (some files failed) or an AbortError (cancelled; .part files are kept)
 * ```
 */
import { promises as fs } from "node:fs";
import pLimit from "p-limit";
import { openContext, type RunContext } from "./download/context.js";
import { checkSpace } from "./download/disk.js";
import { DownloadAbortError } from "./download/errors.js";
import { inspectDisk, planTasks, type Task } from "./download/plan.js";
import { probeSizes } from "./download/probe.js";
import { Progress } from "./download/progress.js";
import { runTask } from "./download/retry.js";
import { summarize } from "./download/summary.js";
import type { DownloadGroup, DownloadItem, DownloadOptions, DownloadSummary } from "./download/types.js";

export type { TokenKind, Tokens } from "./http.js";
export { DownloadAbortError, DownloadError, isAbortError, NotEnoughSpaceError } from "./download/errors.js";
export type * from "./download/types.js";

/**
 * Downloads every file of the given sets (a file shared by several sets is fetched once), a few at a time.
 * Before it starts it learns the sizes (size cache, HEAD, or a one-byte Range GET) and refuses when the rest
 * will not fit on the workspace's disk. Resolves when every file is complete; rejects with a `DownloadError`
 * naming the failed files after trying all of them, or with an AbortError when cancelled.
 *
 * ```ts
 * const summary = await downloadSets(sets.filter((s) => wanted.includes(s.id)), {
 *   workspaceDir, stateDir, tokens: { hf: hfToken }, signal, log: (line) => out.write(line + "\n"),
 * });
 * console.log(`${summary.downloaded} downloaded, ${summary.skipped} already there`);
 * ```
 */
export async function downloadSets(
  sets: readonly DownloadGroup[],
  options: DownloadOptions,
): Promise<DownloadSummary> {
  if (options.signal.aborted) throw new DownloadAbortError();
  const ctx = await openContext(options);
  try {
    return await runSets(sets, ctx);
  } finally {
    ctx.close();
  }
}

async function runSets(sets: readonly DownloadGroup[], ctx: RunContext): Promise<DownloadSummary> {
  const { groups, tasks } = planTasks(sets, ctx);
  const progress = new Progress(groups, ctx);
  const pending = (): Task[] => tasks.filter((t) => t.state === "pending");

  await inspectDisk(tasks, ctx, (task, message) => progress.fail(task, message));
  for (const group of groups) {
    const skipped = group.tasks.filter((t) => t.state === "skipped").length;
    ctx.log(
      `Model set "${group.name}" (${group.id}): ${group.tasks.length} file${group.tasks.length === 1 ? "" : "s"}` +
        (skipped > 0 ? `, ${skipped} already complete` : ""),
    );
  }
  await probeSizes(pending(), ctx, progress);
  for (const task of pending()) {
    if (task.size !== undefined && task.done > task.size) {
      ctx.log(`${task.relDest}.part is larger than the file; starting it over`);
      await fs.rm(task.part, { force: true });
      task.done = 0;
    }
  }
  const toFetch = pending();
  await checkSpace(toFetch, ctx);
  progress.emitAll();

  const files = pLimit(ctx.concurrency);
  await Promise.all(toFetch.map((task) => files(() => runTask(task, ctx, progress))));
  progress.finishAll();
  if (ctx.signal.aborted) {
    ctx.log("Cancelled; partial files are kept and the next run resumes them.");
    throw new DownloadAbortError();
  }
  return summarize(tasks, ctx);
}

/**
 * Downloads a plain list of files as one group (progress reports use `id`, default `files`).
 *
 * ```ts
 * await downloadFiles([{ url, dest: path.join(workspaceDir, "ComfyUI/models/vae/ae.safetensors") }], {
 *   workspaceDir, stateDir, tokens: {}, signal, log: console.log,
 * });
 * ```
 */
export async function downloadFiles(
  files: readonly DownloadItem[],
  options: DownloadOptions & { id?: string; name?: string },
): Promise<DownloadSummary> {
  const id = options.id ?? "files";
  return await downloadSets([{ id, name: options.name ?? id, files: [...files] }], options);
}
