/**
 * SHA-256 of a `.part` while it is written: a worker thread reads and hashes the file's contiguous prefix as
 * it grows (from the page cache, right behind the writers), so the hash costs the download's own thread
 * nothing and the file is not read again at the end. Resuming a `.part` hashes what it already holds first.
 *
 * ```ts
 * const hasher = new PrefixHasher(part);
 * hasher.advance(bytesWrittenFromStart);  // as often as the prefix grows
 * const hex = await hasher.digest(size);  // once all `size` bytes are on disk
 * hasher.close();
 * ```
 */
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const hash = require("node:crypto").createHash("sha256");
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
let fd, hashed = 0, target = 0, finishAt = -1;
parentPort.on("message", (message) => {
  target = Math.max(target, message.upTo);
  if (message.finish !== undefined) finishAt = message.finish;
  try {
    if (fd === undefined && target > 0) fd = fs.openSync(workerData.file, "r");
    while (hashed < target) {
      const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, target - hashed), hashed);
      if (n === 0) throw new Error("the partial file is shorter than what was written to it");
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      hashed += n;
    }
    if (finishAt >= 0 && hashed >= finishAt) {
      if (fd !== undefined) fs.closeSync(fd);
      parentPort.postMessage({ digest: hash.digest("hex") });
    }
  } catch (error) {
    parentPort.postMessage({ error: error.message });
  }
});
`;

export class PrefixHasher {
  private readonly worker: Worker;
  private told = 0;
  private result: Promise<string>;

  constructor(file: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file } });
    this.worker.unref();
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.on("message", (message: { digest?: string; error?: string }) => {
        if (message.digest !== undefined) resolve(message.digest);
        if (message.error !== undefined) reject(new Error(`cannot hash ${file}: ${message.error}`));
      });
      this.worker.once("error", reject);
      this.worker.once("exit", () => reject(new Error("the hashing thread ended")));
    });
    this.result.catch(() => undefined);
  }

  /** The first `bytes` of the file are on disk and may be hashed. */
  advance(bytes: number): void {
    if (bytes <= this.told) return;
    this.told = bytes;
    this.worker.postMessage({ upTo: bytes });
  }

  /** The hex digest of the first `size` bytes, once they are hashed. */
  async digest(size: number): Promise<string> {
    this.told = Math.max(this.told, size);
    this.worker.postMessage({ upTo: size, finish: size });
    return await this.result;
  }

  /** Ends the thread (the digest, if not given yet, is dropped). */
  close(): void {
    void this.worker.terminate();
  }
}

/**
 * A task's hasher, started when first needed and dropped when the `.part` starts over.
 *
 * ```ts
 * const slot = new HashSlot(task.part, Boolean(task.sha256));
 * slot.advance(prefix); await slot.digest(size); slot.reset();
 * ```
 */
export class HashSlot {
  private hasher?: PrefixHasher;

  constructor(
    private readonly file: string,
    readonly wanted: boolean,
  ) {}

  advance(bytes: number): void {
    if (this.wanted) (this.hasher ??= new PrefixHasher(this.file)).advance(bytes);
  }

  async digest(size: number): Promise<string> {
    const hasher = (this.hasher ??= new PrefixHasher(this.file));
    try {
      return await hasher.digest(size);
    } finally {
      this.reset();
    }
  }

  /** The `.part` was truncated or removed: what was hashed no longer counts. */
  reset(): void {
    this.hasher?.close();
    this.hasher = undefined;
  }
}
