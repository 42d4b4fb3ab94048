/**
 * A file of known size over several Range connections: the file is cut into pieces, each connection takes
 * the lowest piece not yet started and writes it at its offset into the `.part`. It starts with one
 * connection and doubles them (up to `connectionsPerFile`, see Ramp) while each brings less than a fast
 * connection and doubling pays, so a server that limits each connection gets many and a fast link or a
 * busy CPU is not swamped with connections that bring nothing more. The range state next to
 * the `.part` is saved every `stateSaveMs` and when the transfer stops, so a crash or a cancel resumes each
 * piece where it was. The SHA-256 follows the contiguous prefix as pieces complete.
 *
 * A server that answers a range with the whole file, another range or more bytes than asked does not take
 * ranges: the file starts over on one connection (StartOver, with `task.ranges = false`).
 *
 * ```ts
 * await fetchRanges(task, ctx, progress, slot); // throws StartOver, FileFailure, or a retryable error
 * ```
 */
import { setMaxListeners } from "node:events";
import { promises as fs } from "node:fs";
import path from "node:path";
import { formatBytes } from "../../util/bytes.js";
import type { RunContext } from "./context.js";
import { DownloadAbortError, StartOver } from "./errors.js";
import { discardPart, finishFile } from "./finish.js";
import { Flows, tickMs } from "./flows.js";
import type { HashSlot } from "./hasher.js";
import { openPiece, RangesRefused, SizeChanged } from "./piece.js";
import {
  contiguousBytes,
  heldBytes,
  holdPrefix,
  layPieces,
  loadRangeState,
  pieceBytesFor,
  saveRangeState,
  type Piece,
  type RangeState,
} from "./pieces.js";
import { sizeOnDisk, type Task } from "./plan.js";
import type { Progress } from "./progress.js";
import { Ramp } from "./ramp.js";
import { writeBody } from "./body.js";

/** The saved state of the `.part`, or a new one (a `.part` without state holds a prefix). */
async function rangeState(task: Task, ctx: RunContext, size: number, slot: HashSlot): Promise<RangeState> {
  const saved = await loadRangeState(task.part, task.url);
  if (saved && saved.size === size) return saved;
  if (saved) {
    ctx.log(`the file on the server changed size; starting ${task.relDest} over`);
    await discardPart(task, slot);
  }
  const pieceBytes = pieceBytesFor(size, ctx.connectionsPerFile, ctx.minPieceBytes);
  const prefix = Math.min(size, (await sizeOnDisk(task.part)) ?? 0);
  return { url: task.url, size, pieceBytes, pieces: holdPrefix(layPieces(size, pieceBytes), prefix) };
}

export async function fetchRanges(
  task: Task,
  ctx: RunContext,
  progress: Progress,
  slot: HashSlot,
): Promise<void> {
  const size = task.size;
  if (size === undefined) throw new Error("a ranged transfer needs the file's size");
  const state = await rangeState(task, ctx, size, slot);
  task.done = heldBytes(state.pieces);
  if (contiguousBytes(state.pieces) === size) return await finishFile(task, ctx, progress, slot);

  await fs.mkdir(path.dirname(task.part), { recursive: true });
  const handle = await fs.open(task.part, fs.constants.O_RDWR | fs.constants.O_CREAT);
  const queue = state.pieces.filter((p) => p.written < p.end - p.start);
  if (task.done > 0) ctx.log(`Resuming ${task.relDest} at ${formatBytes(task.done)}`);
  const controller = new AbortController();
  const signal = AbortSignal.any([ctx.signal, controller.signal]);
  setMaxListeners(0, signal);
  const flows = new Flows(ctx.idleTimeoutMs);
  let failure: unknown;
  let saving: Promise<void> | undefined;
  let savedAt = Date.now();
  const save = (): Promise<void> =>
    (saving ??= saveRangeState(task.part, handle, state).finally(() => {
      saving = undefined;
      savedAt = Date.now();
    }));
  // The state is on disk before any byte lands out of order, so a `.part` is never mistaken for a prefix.
  await save();
  slot.advance(contiguousBytes(state.pieces));

  const via: { url?: string } = {};
  const workers: Promise<void>[] = [];
  const ramp = new Ramp(ctx.connectionsPerFile);
  const worker = async (index: number): Promise<void> => {
    for (let piece = queue.shift(); piece && !signal.aborted; piece = queue.shift()) {
      const current: Piece = piece;
      try {
        await ctx.connections(() => fetchPiece(task, current, handle.fd, { ctx, size, signal, flows, via }));
      } catch (error) {
        failure ??= error;
        controller.abort();
      }
      if (index >= ramp.ceiling) return;
    }
  };
  const open = (n: number): void => {
    for (let i = 0; i < n && queue.length > 0; i++) workers.push(worker(workers.length));
  };
  const stop = flows.every(tickMs(ctx.progressIntervalMs, ctx.logIntervalMs), (bytes) => {
    progress.add(task, bytes);
    slot.advance(contiguousBytes(state.pieces));
    if (Date.now() - savedAt >= ctx.stateSaveMs) save().catch((error: unknown) => (failure ??= error));
    if (!signal.aborted) open(ramp.more(bytes, workers.length));
  });
  try {
    open(Math.min(ctx.firstConnections, ctx.connectionsPerFile));
    for (let done = 0; done < workers.length; done++) await workers[done];
  } finally {
    stop();
    await saving?.catch(() => undefined);
    // A complete file needs no state (it is dropped next); saving would flush the whole file to disk first.
    if (contiguousBytes(state.pieces) < size) await save().catch((error: unknown) => (failure ??= error));
    await handle.close();
  }
  if (ctx.signal.aborted) throw new DownloadAbortError();
  if (failure instanceof RangesRefused) {
    task.ranges = false;
    await discardPart(task, slot);
    throw new StartOver(`${failure.message}; starting ${task.relDest} over on one connection`);
  }
  if (failure instanceof SizeChanged) {
    await discardPart(task, slot);
    if (failure.total !== undefined) {
      task.size = failure.total;
      await ctx.remember(task.url, failure.total);
    }
    throw new StartOver(`the file on the server changed size; starting ${task.relDest} over`);
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error("a range transfer failed");
  await finishFile(task, ctx, progress, slot);
}

interface PieceContext {
  ctx: RunContext;
  size: number;
  signal: AbortSignal;
  flows: Flows;
  via: { url?: string };
}

/** Fetches the rest of `piece` into `fd` (several requests when a server answers part of a range). */
async function fetchPiece(task: Task, piece: Piece, fd: number, p: PieceContext): Promise<void> {
  while (piece.written < piece.end - piece.start && !p.signal.aborted) {
    const from = piece.start + piece.written;
    const { res, url, end } = await openPiece(task, p.ctx, {
      from,
      end: piece.end,
      size: p.size,
      signal: p.signal,
      via: p.via,
    });
    const body = writeBody(res, fd, from, p.signal, p.ctx);
    const flow = p.flows.add(res, body, url.host, (bytes) => (piece.written += bytes));
    try {
      await body.done;
    } finally {
      p.flows.remove(flow);
    }
    if (piece.start + piece.written < end) {
      throw new Error(
        `the connection closed at ${formatBytes(piece.start + piece.written)} of ${formatBytes(p.size)}`,
      );
    }
  }
}
