/**
 * Keeps a JSON file in step with a value that changes. Changes are coalesced (at most one write per
 * `delayMs`); a failed write (a full disk, say) leaves the file dirty and is tried again every `retryMs`
 * until one succeeds, and once more at close, so the file never stays stale after space returns.
 *
 * ```ts
 * const saver = new Saver(file, () => snapshot(), { what: "state.json", logger });
 * saver.schedule();        // soon
 * await saver.flush();     // now (resolves false when it could not be written)
 * ```
 */
import type { Logger } from "pino";
import type { JsonFile } from "./atomic.js";

export interface SaverOptions {
  /** The file's name for log lines. */
  what: string;
  logger: Logger;
  /** How long changes are gathered before a write (0: on the next turn of the event loop). */
  delayMs?: number;
  /** How long after a failed write it is tried again. */
  retryMs?: number;
}

export class Saver<T> {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<boolean> | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly file: JsonFile<T>,
    private readonly snapshot: () => T,
    private readonly options: SaverOptions,
  ) {}

  /** Whether the file is behind the value (a write is due or failed). */
  get isDirty(): boolean {
    return this.dirty;
  }

  schedule(delayMs = this.options.delayMs ?? 0): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  /** Writes now when dirty (after a write under way); true when the file is up to date. */
  async flush(): Promise<boolean> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.writeDirty();
  }

  private async writeDirty(): Promise<boolean> {
    while (this.writing) await this.writing;
    if (!this.dirty) return true;
    this.dirty = false;
    this.writing = this.file.write(this.snapshot()).then(
      () => {
        if (this.failing) this.options.logger.info(`${this.options.what} could be written again`);
        this.failing = false;
        return true;
      },
      (error: unknown) => {
        this.dirty = true;
        if (!this.failing) {
          this.options.logger.error(
            { err: error },
            `could not save ${this.options.what}; it is tried again until it works`,
          );
        }
        this.failing = true;
        if (!this.closed) this.schedule(this.options.retryMs ?? 1_000);
        return false;
      },
    );
    const ok = await this.writing;
    this.writing = undefined;
    return ok;
  }

  /** A last write of what is pending; then no more writes. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty) await this.writeDirty();
    else while (this.writing) await this.writing;
    this.closed = true;
  }
}
