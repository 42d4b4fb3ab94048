/**
 * An answer's body written into the `.part` at an offset: chunks are queued as they arrive and written
 * with one `writev` per batch (the batch is whatever arrived while the previous write ran), so a fast
 * connection makes few large writes and a slow one writes each chunk soon. Above 8 MiB queued the
 * answer is paused until the disk catches up. `written` counts bytes whose write has completed.
 *
 * ```ts
 * const body = new BodyWriter(res, fd, offset, signal);
 * await body.done; // rejects on a dropped connection, a write error or the signal; `written` is final then
 * ```
 */
import fs from "node:fs";
import type { IncomingMessage } from "node:http";

const PAUSE_ABOVE = 8 * 1024 * 1024;

export class BodyWriter {
  written = 0;
  readonly done: Promise<void>;
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private ended = false;
  private error?: Error;
  private settle: (error?: Error) => void = () => undefined;

  constructor(
    private readonly res: IncomingMessage,
    private readonly fd: number,
    private position: number,
    signal: AbortSignal,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
    const onAbort = (): void => this.fail(abortReason(signal));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    void this.done.catch(() => undefined).finally(() => signal.removeEventListener("abort", onAbort));
    res.on("data", (chunk: Buffer) => this.push(chunk));
    res.once("end", () => {
      this.ended = true;
      this.maybeSettle();
    });
    res.once("error", (error) => this.fail(error));
    res.once("close", () => {
      if (!this.ended) this.fail(new Error("the connection closed before the answer was complete"));
    });
  }

  private push(chunk: Buffer): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > PAUSE_ABOVE) this.res.pause();
    if (!this.writing) this.flush();
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    this.writing = true;
    fs.writev(this.fd, batch, this.position, (error, bytes) => {
      this.writing = false;
      if (error) return this.fail(error);
      const rest = unwritten(batch, bytes);
      if (rest.length > 0) this.queue.unshift(...rest);
      this.position += bytes;
      this.written += bytes;
      if (this.error) return this.maybeSettle();
      if (this.queue.length > 0) this.flush();
      else this.res.resume();
      this.maybeSettle();
    });
  }

  private fail(error: Error): void {
    this.error ??= error;
    this.queue = [];
    this.res.destroy();
    this.maybeSettle();
  }

  private maybeSettle(): void {
    if (this.writing) return;
    if (this.error) return this.settle(this.error);
    if (this.ended && this.queue.length === 0) this.settle();
  }
}

/** The part of `batch` past its first `bytes` (a short write leaves some). */
function unwritten(batch: Buffer[], bytes: number): Buffer[] {
  let skip = bytes;
  const rest: Buffer[] = [];
  for (const chunk of batch) {
    if (skip >= chunk.length) skip -= chunk.length;
    else {
      rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
  }
  return rest;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}
