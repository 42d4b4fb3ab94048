/**
 * An answer's body written into the `.part` with blocking writes, straight from the connection's buffer:
 * no copy and no thread-pool hop, so the bytes go to the page cache while they are still in this core's
 * cache, which halves the kernel's share of a download's CPU. A write blocks its event loop, so this sink is
 * only for a thread that does nothing else (`writes: "sync"`, as `downloadSetsInThread` sets); a slow disk
 * then slows the connection by itself, the way curl's does.
 *
 * ```ts
 * const body = new DirectWriter(answer, fd, offset, signal);
 * await body.done; // rejects on a dropped connection, a write error or the signal; `written` is final then
 * ```
 */
import fs from "node:fs";
import type { Answer, BodySink } from "../wire/answer.js";
import { onAbort, settleable } from "./body-start.js";

export class DirectWriter implements BodySink {
  written = 0;
  readonly done: Promise<void>;
  private next: number;
  private settled = false;
  private readonly settle: (error?: Error) => void;

  constructor(
    private readonly answer: Answer,
    private readonly fd: number,
    position: number,
    signal: AbortSignal,
  ) {
    this.next = position;
    ({ done: this.done, settle: this.settle } = settleable());
    if (onAbort(signal, this.done, (error) => this.stop(error))) answer.read(this);
  }

  data(view: Buffer): boolean {
    if (this.settled) return false;
    try {
      for (let offset = 0; offset < view.length;) {
        const bytes = fs.writeSync(this.fd, view, offset, view.length - offset, this.next);
        offset += bytes;
        this.next += bytes;
        this.written += bytes;
      }
    } catch (error) {
      this.stop(error as Error);
      return false;
    }
    return true;
  }

  end(): void {
    this.finish();
  }

  fail(error: Error): void {
    this.finish(error);
  }

  private stop(error: Error): void {
    if (this.settled) return;
    this.answer.destroy(error);
    this.finish(error);
  }

  private finish(error?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(error);
  }
}
