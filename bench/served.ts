/** The file the benchmark's file server serves: a generated 16 MiB block, repeated to the size asked. */
import { createCipheriv, createHash } from "node:crypto";

export const BLOCK = 16 * 1024 * 1024;

/** The generated block the served file repeats. */
export function makeBlock(): Buffer {
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(BLOCK)), cipher.final()]);
}

/** The SHA-256 of the served file of `size` bytes. Example: `servedSha256(512 * 1024 * 1024)`. */
export function servedSha256(size: number): string {
  const block = makeBlock();
  const hash = createHash("sha256");
  for (let at = 0; at < size; at += BLOCK) hash.update(block.subarray(0, Math.min(BLOCK, size - at)));
  return hash.digest("hex");
}
