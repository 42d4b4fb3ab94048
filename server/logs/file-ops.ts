/**
 * The file operations log files are built from: sizes, reads at an offset, cutting the front of a file in
 * place (`fallocate --collapse-range`), and cutting a copy after its last whole line.
 */
import { promises as fs } from "node:fs";
import { execa } from "execa";
import { withoutSecrets } from "../config/secrets.js";

export async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

/** The index just past the last whole UTF-8 character in `buffer[0, length)`. */
export function utf8Boundary(buffer: Buffer, length: number): number {
  let i = length;
  let back = 0;
  while (i > 0 && back < 4 && (buffer[i - 1]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return length;
  const lead = buffer[i - 1]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return back + 1 >= need ? length : i - 1;
}

/** How long after a failed rotation (a full disk) reading goes on without trying again. */
/** Collapsing works in whole filesystem blocks: 64 KiB is a multiple of every common block size. */
export const COLLAPSE_ALIGN = 64 * 1024;

/** Cuts the first `length` bytes from the front of `file` in place; false when the system cannot. */
export async function collapseFront(file: string, length: number): Promise<boolean> {
  const args = ["--collapse-range", "--offset", "0", "--length", String(length), file];
  const result = await execa("fallocate", args, {
    timeout: 30_000,
    env: withoutSecrets(process.env),
    extendEnv: false,
    reject: false,
  });
  return !result.failed;
}

/**
 * Cuts a rotation's copy after its last whole line (looking at its last 64 KiB), so no line is ever split
 * between `{file}.1` and bytes the truncate drops. Returns the copy's new size.
 */
export async function endOfLastLine(file: string, size: number): Promise<number> {
  const look = Math.min(size, 64 * 1024);
  if (look === 0) return size;
  const tail = Buffer.alloc(look);
  const read = await readInto(file, size - look, tail, 0, look);
  const newline = tail.subarray(0, read).lastIndexOf(0x0a);
  if (newline < 0 || newline === read - 1) return size;
  const end = size - look + newline + 1;
  await fs.truncate(file, end);
  return end;
}

export async function readInto(
  file: string,
  position: number,
  buffer: Buffer,
  offset: number,
  length: number,
): Promise<number> {
  if (length <= 0) return 0;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch {
    return 0;
  }
  try {
    const { bytesRead } = await handle.read(buffer, offset, length, position);
    return bytesRead;
  } finally {
    await handle.close();
  }
}
