/**
 * Before any transfer: learn the sizes not known yet (HEAD, then a one-byte Range GET when HEAD does not
 * tell), and along the way whether the server takes Range requests. A 4xx that no retry mends fails the
 * file here; a network problem leaves the size unknown (the transfer retries it).
 *
 * ```ts
 * await probeSizes(tasks.filter((t) => t.size === undefined), ctx, progress);
 * ```
 */
import pLimit from "p-limit";
import { openUrl, statusError } from "../http.js";
import type { RunContext } from "./context.js";
import { DownloadAbortError, FileFailure } from "./errors.js";
import { acceptsRanges, contentLength, parseContentRange } from "./headers.js";
import type { Task } from "./plan.js";
import type { Progress } from "./progress.js";

async function learn(task: Task, ctx: RunContext, size: number): Promise<void> {
  task.size = size;
  await ctx.remember(task.url, size);
}

/** Learns `task.size` (and `task.ranges` when an answer tells); throws FileFailure on a lasting refusal. */
export async function probeSize(task: Task, ctx: RunContext): Promise<void> {
  const start = new URL(task.url);
  const common = {
    tokens: ctx.tokens,
    tokenHosts: ctx.tokenHosts,
    signal: ctx.signal,
    idleTimeoutMs: ctx.idleTimeoutMs,
    pool: ctx.pool,
  };
  try {
    const head = await openUrl(task.url, { ...common, method: "HEAD", stopOnLinkedSize: true });
    head.res.discard();
    const status = head.res.statusCode ?? 0;
    if (status === 200) task.ranges = acceptsRanges(head.res.headers["accept-ranges"]) ?? task.ranges;
    const size =
      head.linkedSize ?? (status === 200 ? contentLength(head.res.headers["content-length"]) : undefined);
    if (size !== undefined) return await learn(task, ctx, size);
    if (status >= 400 && head.url.href === start.href && status !== 405 && status !== 501) {
      const error = statusError(status, head.url, start, ctx.tokens, ctx.tokenHosts);
      if (!error.retryable) throw new FileFailure(error.message);
    }
    const probe = await openUrl(task.url, { ...common, method: "GET", headers: { Range: "bytes=0-0" } });
    probe.res.discard();
    const probeStatus = probe.res.statusCode ?? 0;
    if (probeStatus === 206) task.ranges = true;
    if (probeStatus === 200) task.ranges = false;
    const total =
      probeStatus === 206
        ? parseContentRange(probe.res.headers["content-range"])?.total
        : probeStatus === 200
          ? contentLength(probe.res.headers["content-length"])
          : undefined;
    if (total !== undefined) return await learn(task, ctx, total);
    if (probeStatus >= 400) {
      const error = statusError(probeStatus, probe.url, start, ctx.tokens, ctx.tokenHosts);
      if (!error.retryable && probe.url.href === start.href) throw new FileFailure(error.message);
    }
  } catch (error) {
    if (ctx.signal.aborted) throw new DownloadAbortError();
    if (error instanceof FileFailure) throw error;
    // A network problem here is retried by the transfer itself; the size stays unknown.
  }
}

/** Probes every task of unknown size, a few at a time; a lasting refusal fails that file. */
export async function probeSizes(tasks: readonly Task[], ctx: RunContext, progress: Progress): Promise<void> {
  const unknown = tasks.filter((t) => t.size === undefined);
  if (unknown.length === 0) return;
  ctx.log(`Checking the size of ${unknown.length} file${unknown.length === 1 ? "" : "s"}...`);
  const limit = pLimit(ctx.concurrency);
  await Promise.all(
    unknown.map((task) =>
      limit(async () => {
        if (ctx.signal.aborted) return;
        try {
          await probeSize(task, ctx);
        } catch (error) {
          if (error instanceof FileFailure) progress.fail(task, `${error.message} (${task.url})`);
        }
      }),
    ),
  );
  if (ctx.signal.aborted) throw new DownloadAbortError();
}
