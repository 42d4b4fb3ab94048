/**
 * Wakes a readiness wait when a starting tool writes to its log: tools say so when they begin to listen
 * (ComfyUI "To see the GUI go to", Jupyter "is running at", SwarmUI "Now listening on"), so the port is
 * looked at within milliseconds of that line instead of on a fast timer. For ACTIVE_MS after a line the
 * port is also looked at every ACTIVE_LOOK_MS (a tool that says "starting the server" just before it
 * listens); a tool that says nothing is looked at every `fallbackMs`, a chatty one at most every
 * LOG_WAKE_GAP_MS. Watches with inotify (`fs.watch`), so a quiet tool that takes minutes to load costs
 * next to no CPU.
 *
 * ```ts
 * const wake = new LogWake(log.file);
 * try { while (!(await isPortTaken(port))) await wake.next(250); } finally { wake.close(); }
 * ```
 */
import { watch, type FSWatcher } from "node:fs";

/** Least time between two looks woken by the log, however fast the tool writes. */
export const LOG_WAKE_GAP_MS = 10;
/** How long after a line of the log the port is looked at often. */
export const ACTIVE_MS = 200;
/** How often the port is looked at in that time. */
export const ACTIVE_LOOK_MS = 20;

export class LogWake {
  private watcher: FSWatcher | undefined;
  /** The log changed since the last wake. */
  private changed = false;
  private changedAt = 0;
  private lastWake = 0;
  private waiter: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;

  constructor(private readonly file: string) {
    this.watchLog();
  }

  /** Watches the log when it is there (a first start may create it only after the wait begins). */
  private watchLog(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.file, { persistent: false }, () => this.onChange());
      this.watcher.on("error", () => this.stopWatching());
    } catch {
      // No log to watch yet: the timer does the looking, and the next wait tries again.
    }
  }

  /** Resolves when the log changed (no sooner than LOG_WAKE_GAP_MS after the last wake), or after `fallbackMs`. */
  next(fallbackMs: number): Promise<void> {
    this.watchLog();
    return new Promise((resolve) => {
      this.waiter = resolve;
      const active = Date.now() - this.changedAt < ACTIVE_MS;
      this.schedule(active ? Math.min(fallbackMs, ACTIVE_LOOK_MS) : fallbackMs);
      if (this.changed) this.wakeSoon();
    });
  }

  close(): void {
    this.stopWatching();
    clearTimeout(this.timer);
    this.waiter?.();
    this.waiter = undefined;
  }

  private onChange(): void {
    this.changed = true;
    this.changedAt = Date.now();
    this.wakeSoon();
  }

  /** A change is waiting: wake the waiter once LOG_WAKE_GAP_MS have passed since the last wake. */
  private wakeSoon(): void {
    if (!this.waiter) return;
    this.schedule(Math.max(0, this.lastWake + LOG_WAKE_GAP_MS - Date.now()));
  }

  /** Wakes the waiter after `ms`, unless a wake is already due sooner. */
  private schedule(ms: number): void {
    const at = Date.now() + ms;
    if (this.timer && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => this.wake(), ms);
  }

  private wake(): void {
    this.timer = undefined;
    this.changed = false;
    this.lastWake = Date.now();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
