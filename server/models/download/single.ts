/**
 * A file over one connection: resumes the `.part` with `Range: bytes=N-`, starts over when the server
 * answers the whole file or another range, and writes in order (so the `.part`'s size is what it holds).
 * Used when the size is unknown, the file is small, or the server does not take Range requests.
 *
 * ```ts
 * await streamWhole(task, ctx, progress, slot); // throws StartOver, FileFailure, or a retryable error
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { formatBytes } from "../../util/bytes.js";
import { openUrl, retryAfterMs, statusError } from "../http.js";
import type { RunContext } from "./context.js";
import { FileFailure, StartOver } from "./errors.js";
import { discardPart, finishFile } from "./finish.js";
import { Flows, tickMs } from "./flows.js";
import { contentLength, parseContentRange } from "./headers.js";
import type { HashSlot } from "./hasher.js";
import { contiguousBytes, dropRangeState, loadRangeState } from "./pieces.js";
import { sizeOnDisk, type Task } from "./plan.js";
import type { Progress } from "./progress.js";
import { writeBody } from "./body.js";

/** Bytes the `.part` holds from its start; a `.part` written in ranges is cut to its contiguous prefix. */
async function prefixOnDisk(task: Task, slot: HashSlot): Promise<number> {
  const state = await loadRangeState(task.part, task.url);
  if (state) {
    slot.reset();
    await fs.truncate(task.part, contiguousBytes(state.pieces)).catch(() => undefined);
    await dropRangeState(task.part);
  }
  let size = (await sizeOnDisk(task.part)) ?? 0;
  if (task.size !== undefined && size > task.size) {
    await discardPart(task, slot);
    size = 0;
  }
  return size;
}

async function learn(task: Task, ctx: RunContext, size: number | undefined): Promise<void> {
  if (size === undefined || size === task.size) return;
  task.size = size;
  await ctx.remember(task.url, size);
}

export async function streamWhole(
  task: Task,
  ctx: RunContext,
  progress: Progress,
  slot: HashSlot,
): Promise<void> {
  const partSize = await prefixOnDisk(task, slot);
  task.done = partSize;
  if (task.size !== undefined && partSize === task.size && partSize > 0)
    return await finishFile(task, ctx, progress, slot);
  slot.advance(partSize);

  const start = new URL(task.url);
  const headers: Record<string, string> = partSize > 0 ? { Range: `bytes=${partSize}-` } : {};
  const { tokens, tokenHosts, signal, idleTimeoutMs, pool } = ctx;
  const { res, url } = await openUrl(task.url, {
    method: "GET",
    headers,
    tokens,
    tokenHosts,
    signal,
    idleTimeoutMs,
    pool,
  });
  const status = res.statusCode;
  let append: boolean;
  if (status === 206) {
    const range = parseContentRange(res.headers["content-range"]);
    if (!range || range.start !== partSize) {
      res.destroy();
      await discardPart(task, slot);
      throw new StartOver(`the server answered another byte range than asked; starting ${task.relDest} over`);
    }
    if (partSize > 0 && range.total !== undefined && task.size !== undefined && range.total !== task.size) {
      res.destroy();
      await discardPart(task, slot);
      await learn(task, ctx, range.total);
      throw new StartOver(`the file on the server changed size; starting ${task.relDest} over`);
    }
    await learn(task, ctx, range.total);
    append = true;
    if (partSize > 0) ctx.log(`Resuming ${task.relDest} at ${formatBytes(partSize)}`);
  } else if (status === 200) {
    if (partSize > 0) ctx.log(`The server does not resume ${task.relDest}; starting it over`);
    if (partSize > 0) task.ranges = false;
    slot.reset();
    task.done = 0;
    await learn(task, ctx, contentLength(res.headers["content-length"]));
    append = false;
  } else if (status === 416 && partSize > 0) {
    res.discard();
    const total = parseContentRange(res.headers["content-range"])?.total;
    if (total === partSize) {
      task.size = total;
      return await finishFile(task, ctx, progress, slot);
    }
    await discardPart(task, slot);
    throw new StartOver(`the partial file does not match the server's; starting ${task.relDest} over`);
  } else {
    res.discard();
    const error = statusError(
      status,
      url,
      start,
      tokens,
      tokenHosts,
      retryAfterMs(res.headers["retry-after"]),
    );
    if (!error.retryable) throw new FileFailure(`${error.message} (${task.url})`);
    throw error;
  }

  await fs.mkdir(path.dirname(task.part), { recursive: true });
  const handle = await fs.open(task.part, append && partSize > 0 ? "r+" : "w");
  const base = append ? partSize : 0;
  const body = writeBody(res, handle.fd, base, signal, ctx);
  const flows = new Flows(idleTimeoutMs);
  const stop = flows.every(tickMs(ctx.progressIntervalMs, ctx.logIntervalMs), (bytes) => {
    progress.add(task, bytes);
    slot.advance(base + body.written);
  });
  const flow = flows.add(res, body, url.host, () => undefined);
  try {
    await body.done;
  } finally {
    flows.remove(flow);
    stop();
    await handle.close();
  }

  const onDisk = (await sizeOnDisk(task.part)) ?? 0;
  task.done = onDisk;
  if (task.size !== undefined && onDisk < task.size) {
    throw new Error(`the connection closed at ${formatBytes(onDisk)} of ${formatBytes(task.size)}`);
  }
  if (task.size !== undefined && onDisk > task.size) {
    await discardPart(task, slot);
    throw new StartOver(`received more bytes than announced; starting ${task.relDest} over`);
  }
  task.size = onDisk;
  await finishFile(task, ctx, progress, slot);
}
