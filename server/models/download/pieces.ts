/**
 * A file cut into pieces for parallel Range requests, and the small state saved next to its `.part`
 * (`DEST.part.ranges`) that tells, after a crash, how much of each piece is on disk.
 *
 * Each piece is written front to back by one connection, so one number per piece (`written`) says what it
 * holds. The state is saved atomically after the `.part`'s data is flushed, so it never claims a byte the
 * file does not hold. A `.part` without a state file holds a prefix (one stream wrote it).
 *
 * ```ts
 * const pieces = layPieces(size, pieceBytesFor(size, 8, 16 * MiB));
 * await saveRangeState(part, handle, { url, size, pieceBytes, pieces });
 * const state = await loadRangeState(part, url); // undefined when missing or not for this URL
 * ```
 */
import { promises as fs } from "node:fs";
import type { z } from "zod";
import { writeFileAtomic } from "../../state/atomic.js";

const MIB = 1024 * 1024;
/** No piece is larger, so the last pieces of a big file do not leave one slow connection alone for long. */
const MAX_PIECE_BYTES = 64 * MIB;

/** Bytes [start, end) of the file; `written` bytes from `start` are on disk. */
export interface Piece {
  start: number;
  end: number;
  written: number;
}

export interface RangeState {
  url: string;
  size: number;
  pieceBytes: number;
  pieces: Piece[];
}

/** The state file's schema, made on first use: only a resumed `.part` needs it (zod loads in about 60 ms). */
async function stateFileSchema() {
  const { z } = await import("zod");
  return z.object({
    version: z.literal(1),
    url: z.string(),
    size: z.number().int().positive(),
    pieceBytes: z.number().int().positive(),
    written: z.array(z.number().int().nonnegative()),
  });
}
let schema: ReturnType<typeof stateFileSchema> | undefined;

/** The range state file of a `.part`. Example: `rangeStatePath("/w/a.bin.part") // "/w/a.bin.part.ranges"`. */
export function rangeStatePath(part: string): string {
  return `${part}.ranges`;
}

/**
 * The piece size for a file: about four pieces per connection, in whole MiB, at least `minPieceBytes` and
 * at most 64 MiB (or `minPieceBytes` when that is larger). Example: `pieceBytesFor(1 << 30, 8, 16 << 20) // 32 MiB`.
 */
export function pieceBytesFor(size: number, connections: number, minPieceBytes: number): number {
  const wanted = Math.ceil(size / (connections * 4) / MIB) * MIB;
  return Math.min(Math.max(minPieceBytes, wanted), Math.max(minPieceBytes, MAX_PIECE_BYTES));
}

/** Cuts `size` bytes into pieces of `pieceBytes` (the last one shorter), none written yet. */
export function layPieces(size: number, pieceBytes: number): Piece[] {
  const pieces: Piece[] = [];
  for (let start = 0; start < size; start += pieceBytes) {
    pieces.push({ start, end: Math.min(size, start + pieceBytes), written: 0 });
  }
  return pieces;
}

/** Marks the first `bytes` of the file as written (a `.part` left by one stream). */
export function holdPrefix(pieces: Piece[], bytes: number): Piece[] {
  return pieces.map((p) => ({ ...p, written: Math.max(0, Math.min(p.end - p.start, bytes - p.start)) }));
}

/** Bytes on disk over all pieces. */
export function heldBytes(pieces: readonly Piece[]): number {
  return pieces.reduce((sum, p) => sum + p.written, 0);
}

/** Bytes from the start of the file that are all on disk (what can be hashed so far). */
export function contiguousBytes(pieces: readonly Piece[]): number {
  let bytes = 0;
  for (const p of pieces) {
    bytes = p.start + p.written;
    if (p.written < p.end - p.start) break;
  }
  return bytes;
}

/** The saved state of `part` when it is there, readable and for `url`; else undefined. */
export async function loadRangeState(part: string, url: string): Promise<RangeState | undefined> {
  let parsed: z.infer<Awaited<ReturnType<typeof stateFileSchema>>>;
  try {
    const text = await fs.readFile(rangeStatePath(part), "utf8");
    parsed = (await (schema ??= stateFileSchema())).parse(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (parsed.url !== url) return undefined;
  const pieces = layPieces(parsed.size, parsed.pieceBytes);
  if (pieces.length !== parsed.written.length) return undefined;
  pieces.forEach((p, i) => (p.written = Math.min(p.end - p.start, parsed.written[i] ?? 0)));
  return { url, size: parsed.size, pieceBytes: parsed.pieceBytes, pieces };
}

/** Flushes the `.part`'s data through `handle`, then saves the state atomically. */
export async function saveRangeState(part: string, handle: fs.FileHandle, state: RangeState): Promise<void> {
  const written = state.pieces.map((p) => p.written);
  await handle.datasync();
  const body = { version: 1, url: state.url, size: state.size, pieceBytes: state.pieceBytes, written };
  await writeFileAtomic(rangeStatePath(part), JSON.stringify(body) + "\n");
}

/** Removes the `.part`'s state file, if any. */
export async function dropRangeState(part: string): Promise<void> {
  await fs.rm(rangeStatePath(part), { force: true });
}
