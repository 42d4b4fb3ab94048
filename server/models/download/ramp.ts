/** How many Range connections a file uses while it downloads. */
import { performance } from "node:perf_hooks";

/** A connection this fast is not limited per connection: more of them would only cost CPU. */
const FAST_CONNECTION_BYTES_PER_SECOND = 200e6;
/** Least time over which the speed is measured before more connections are opened. */
const RAMP_WINDOW_MS = 100;
/** Doubling the connections must raise the speed by this factor, or the extra ones are let go. */
const RAMP_GAIN = 1.3;
/** Above this share of busy time the event loop is the limit, not the connections: none are added. */
const BUSY_LOOP = 0.5;

/**
 * How many connections a file uses: `firstConnections` first, doubled (up to `max`) after each window in which every
 * connection brought less than a fast one does and the event loop had time to spare, as long as the
 * doubling paid off; when it did not, the connections go back to the count before it (the extra ones end
 * after their piece) and stay there.
 *
 * ```ts
 * const ramp = new Ramp(8);
 * open(ramp.more(bytesSinceLastTick, running)); // connections to add now (0 most of the time)
 * ```
 */
export class Ramp {
  /** Connections with an index at or above this end after their current piece. */
  ceiling: number;
  private window = { at: Date.now(), bytes: 0, loop: performance.eventLoopUtilization() };
  private last?: { count: number; rate: number };
  private settled = false;

  constructor(private readonly max: number) {
    this.ceiling = max;
  }

  /**
   * Counts `bytes` that arrived with `running` connections; gives how many to open now. `busy` is the event
   * loop's busy share over the window (measured when not given).
   */
  more(bytes: number, running: number, now = Date.now(), busy?: number): number {
    this.window.bytes += bytes;
    const elapsed = now - this.window.at;
    if (this.settled || running === 0 || elapsed < RAMP_WINDOW_MS) return 0;
    const rate = (this.window.bytes / elapsed) * 1000;
    const loop = busy ?? performance.eventLoopUtilization(this.window.loop).utilization;
    this.window = { at: now, bytes: 0, loop: performance.eventLoopUtilization() };
    if (this.last && running > this.last.count && rate < this.last.rate * RAMP_GAIN) {
      this.ceiling = this.last.count;
      this.settled = true;
      return 0;
    }
    this.last = { count: running, rate };
    if (rate / running >= FAST_CONNECTION_BYTES_PER_SECOND || running >= this.max || loop > BUSY_LOOP)
      return 0;
    return Math.min(running, this.max - running);
  }
}
