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

export class DirectWriter implements BodySink {
  written = 0;
  readonly done: Promise<void>;
  private next: number;
  private settled = false;
  private settle: (error?: Error) => void = () => undefined;

  constructor(
    private readonly answer: Answer,
    private readonly fd: number,
    position: number,
    signal: AbortSignal,
  ) {
    this.next = position;
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
    const onAbort = (): void => this.stop(abortReason(signal));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    void this.done.catch(() => undefined).finally(() => signal.removeEventListener("abort", onAbort));
    answer.read(this);
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

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}
