/**
 * An answer's body written into the `.part` at an offset. Each view of the connection's buffer is copied
 * into the run's 1 MiB slabs, and a slab's new bytes go to disk right away when no write is under way, or
 * once 256 KiB have gathered, with up to three writes at once (one thread copying into the page cache is
 * slower than the network). Writes may end in any order; `written` counts only the bytes from the start
 * that are all on disk. With 8 MiB waiting the connection is paused until the disk catches up.
 *
 * ```ts
 * const body = new BodyWriter(answer, fd, offset, signal, ctx.slabs);
 * await body.done; // rejects on a dropped connection, a write error or the signal; `written` is final then
 * ```
 */
import fs from "node:fs";
import type { Answer, BodySink } from "../wire/answer.js";
import { onAbort, settleable } from "./body-start.js";
import { SLAB_BYTES, type SlabPool } from "./slabs.js";

const PAUSE_ABOVE = 8 * 1024 * 1024;
const WRITES_AT_ONCE = 3;
const GATHER_BYTES = 256 * 1024;

interface Slab {
  buffer: Buffer;
  /** Bytes copied in. */
  filled: number;
  /** Bytes handed to a write. */
  submitted: number;
}

/** One write of `slab.buffer[from, to)` at file offset `at`, `bytes` long in all. */
interface Write {
  slab: Slab;
  from: number;
  to: number;
  at: number;
  bytes: number;
  done: boolean;
}

export class BodyWriter implements BodySink {
  written = 0;
  readonly done: Promise<void>;
  private slabs: Slab[] = [];
  /** Writes in file order; the first ones that are done are counted and dropped. */
  private writes: Write[] = [];
  private inFlight = 0;
  /** File offset of the next byte to hand to a write. */
  private next: number;
  private waiting = 0;
  private paused = false;
  private ended = false;
  private error?: Error;
  private settled = false;
  private readonly settle: (error?: Error) => void;

  constructor(
    private readonly answer: Answer,
    private readonly fd: number,
    position: number,
    signal: AbortSignal,
    private readonly pool: SlabPool,
  ) {
    this.next = position;
    ({ done: this.done, settle: this.settle } = settleable());
    if (onAbort(signal, this.done, (error) => this.failWith(error))) answer.read(this);
  }

  data(view: Buffer): boolean {
    if (this.error) return false;
    for (let offset = 0; offset < view.length;) {
      let slab = this.slabs.at(-1);
      if (!slab || slab.filled === SLAB_BYTES) {
        this.submit(true);
        slab = { buffer: this.pool.take(), filled: 0, submitted: 0 };
        this.slabs.push(slab);
      }
      const copied = view.copy(slab.buffer, slab.filled, offset, offset + SLAB_BYTES - slab.filled);
      slab.filled += copied;
      offset += copied;
    }
    this.waiting += view.length;
    this.submit(false);
    this.paused = this.waiting > PAUSE_ABOVE;
    return !this.paused;
  }

  end(): void {
    this.ended = true;
    this.submit(true);
    this.maybeSettle();
  }

  fail(error: Error): void {
    this.error ??= error;
    this.maybeSettle();
  }

  /** Hands new bytes of the slabs to writes while fewer than three run (`all`: also small remainders). */
  private submit(all: boolean): void {
    for (const slab of this.slabs) {
      if (this.error || this.inFlight >= WRITES_AT_ONCE) return;
      const fresh = slab.filled - slab.submitted;
      if (fresh === 0) continue;
      if (!all && this.inFlight > 0 && fresh < GATHER_BYTES && slab.filled < SLAB_BYTES) return;
      const write: Write = {
        slab,
        from: slab.submitted,
        to: slab.filled,
        at: this.next,
        bytes: fresh,
        done: false,
      };
      slab.submitted = slab.filled;
      this.next += fresh;
      this.writes.push(write);
      this.start(write);
    }
  }

  private start(write: Write): void {
    this.inFlight++;
    const length = write.to - write.from;
    fs.write(this.fd, write.slab.buffer, write.from, length, write.at, (error, bytes) => {
      this.inFlight--;
      if (error) return this.failWith(error);
      if (bytes < length) {
        // A short write: the rest of the same region is written next.
        write.from += bytes;
        write.at += bytes;
        return this.start(write);
      }
      write.done = true;
      this.count();
      if (this.error) return this.maybeSettle();
      this.submit(this.ended);
      if (this.paused && this.waiting <= PAUSE_ABOVE / 2) {
        this.paused = false;
        this.answer.resume();
      }
      this.maybeSettle();
    });
  }

  /** Counts the writes at the front that are done and gives back slabs that are full and all written. */
  private count(): void {
    while (this.writes[0]?.done) {
      const write = this.writes.shift()!;
      this.written += write.bytes;
      this.waiting -= write.bytes;
    }
    const pending = new Set(this.writes.map((w) => w.slab));
    for (let first = this.slabs[0]; first; first = this.slabs[0]) {
      if (first.submitted < SLAB_BYTES || pending.has(first)) break;
      this.pool.give(this.slabs.shift()!.buffer);
    }
  }

  private failWith(error: Error): void {
    this.error ??= error;
    this.answer.destroy(error);
    this.maybeSettle();
  }

  private maybeSettle(): void {
    if (this.inFlight > 0 || this.settled) return;
    if (!this.error && !(this.ended && this.waiting === 0)) return;
    this.settled = true;
    for (const slab of this.slabs) this.pool.give(slab.buffer);
    this.slabs = [];
    this.settle(this.error);
  }
}
