/**
 * A polling loop that never overlaps itself: `tick` answers how long to wait before the next run.
 * `now()` runs it at once (or right after the run in flight). A hidden tab polls slowly.
 *
 * ```ts
 * const tools = new Poller(async () => { await refresh(); return busy ? 500 : 1500; });
 * tools.start();
 * ```
 */
const HIDDEN_MIN_MS = 5000;
const ERROR_DELAY_MS = 3000;
const all = new Set<Poller>();

export class Poller {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  private again = false;
  private active = false;

  constructor(private readonly tick: () => Promise<number>) {}

  get isActive(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    all.add(this);
    this.now();
  }

  stop(): void {
    this.active = false;
    all.delete(this);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  now(): void {
    if (!this.active) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    void this.run();
  }

  private async run(): Promise<void> {
    this.inFlight = true;
    let delay: number;
    try {
      delay = await this.tick();
    } catch {
      delay = ERROR_DELAY_MS;
    }
    this.inFlight = false;
    if (!this.active) return;
    if (this.again) {
      this.again = false;
      delay = 0;
    }
    if (document.hidden) delay = Math.max(delay, HIDDEN_MIN_MS);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delay);
  }
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) for (const poller of all) poller.now();
});
