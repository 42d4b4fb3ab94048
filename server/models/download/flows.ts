/**
 * The responses of one transfer being written into the `.part`, watched on a timer instead of per chunk:
 * each tick counts the bytes every body writer has put on disk since the last tick, and drops a connection
 * that has brought nothing for `idleTimeoutMs`.
 *
 * ```ts
 * const flows = new Flows(ctx.idleTimeoutMs);
 * const stop = flows.every(tickMs, (bytes) => progress.add(task, bytes));
 * const body = writeBody(res, fd, offset, signal, ctx);
 * const flow = flows.add(res, body, url.host, (bytes) => (piece.written += bytes));
 * try { await body.done; } finally { flows.remove(flow); stop(); }
 * ```
 */
import type { Answer } from "../wire/answer.js";

interface Flow {
  res: Answer;
  out: { readonly written: number };
  host: string;
  counted: number;
  lastChange: number;
  onWritten: (bytes: number) => void;
}

export class Flows {
  private readonly active = new Set<Flow>();
  private pending = 0;

  constructor(private readonly idleTimeoutMs: number) {}

  /** Watches `res` being written by `out` (a body writer); `onWritten` gets each count of new bytes on disk. */
  add(
    res: Answer,
    out: { readonly written: number },
    host: string,
    onWritten: (bytes: number) => void,
  ): Flow {
    const flow = { res, out, host, counted: 0, lastChange: Date.now(), onWritten };
    this.active.add(flow);
    return flow;
  }

  /** Stops watching `flow`, counting what it wrote last. */
  remove(flow: Flow): void {
    this.count(flow, Date.now());
    this.active.delete(flow);
  }

  private count(flow: Flow, now: number): void {
    const bytes = flow.out.written - flow.counted;
    if (bytes > 0) {
      flow.counted += bytes;
      flow.lastChange = now;
      this.pending += bytes;
      flow.onWritten(bytes);
    }
  }

  /** Bytes put on disk since the last call; drops connections quiet for too long. */
  sample(): number {
    const now = Date.now();
    for (const flow of this.active) {
      this.count(flow, now);
      if (now - flow.lastChange >= this.idleTimeoutMs) {
        const seconds = Math.max(1, Math.round(this.idleTimeoutMs / 1000));
        flow.res.destroy(new Error(`no data from ${flow.host} for ${seconds} s`));
      }
    }
    const bytes = this.pending;
    this.pending = 0;
    return bytes;
  }

  /** Calls `tick` with `sample()` every `ms` until the returned stop is called (which ticks a last time). */
  every(ms: number, tick: (bytes: number) => void): () => void {
    const timer = setInterval(() => tick(this.sample()), ms);
    timer.unref();
    return () => {
      clearInterval(timer);
      tick(this.sample());
    };
  }
}

/** The tick of a transfer: often enough for the progress and log intervals, at most ten times a second. */
export function tickMs(progressIntervalMs: number, logIntervalMs: number): number {
  return Math.max(5, Math.min(100, progressIntervalMs, logIntervalMs));
}
