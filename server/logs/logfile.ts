/**
 * A log file read by cursor. A cursor is a byte offset in the log's whole history: it stays valid across
 * rotations and studio restarts, because the offset of the current file's first byte (`base`) is kept in a
 * small side file. Rotation keeps the file in place, so a process that appends to it (a tool started before
 * the studio) keeps writing to the right file: the older part is copied to `{file}.1` and then cut from the
 * front of the file with `fallocate --collapse-range`, which loses nothing a writer adds meanwhile. Where
 * the filesystem cannot do that (tmpfs, some network volumes) the file is copied and truncated instead,
 * which loses what a writer adds in the instant between the last look and the truncate.
 *
 * ```ts
 * const log = new LogFile("/state/logs/comfy-ui.log", { maxBytes: 32 << 20 });
 * const first = await log.read();              // the last 64 KiB
 * const next = await log.read(first.cursor);   // only what was added since
 * ```
 */
import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { JsonFile } from "../state/atomic.js";
import { collapseFront, COLLAPSE_ALIGN, endOfLastLine, readInto, sizeOf, utf8Boundary } from "./file-ops.js";

export const TAIL_BYTES = 64 * 1024;
export const MAX_READ_BYTES = 256 * 1024;

export interface LogChunk {
  content: string;
  cursor: number;
  /** True when the asked cursor was no longer held and reading restarted at the oldest byte held. */
  reset: boolean;
}

interface Meta {
  /** Offset of the current file's first byte. */
  base: number;
  /** Offset of `{file}.1`'s first byte, when it exists. */
  previousBase: number | null;
  /** The size `{file}.1` had when it was made; a `{file}.1` of another size is not trusted. */
  previousSize: number | null;
  /** Offset before which a reader without a cursor sees nothing (set by "clear"). */
  clearedAt: number;
}

const ROTATE_RETRY_MS = 10_000;

export class LogFile {
  readonly previous: string;
  private readonly metaFile: JsonFile<Meta>;
  private meta: Meta | undefined;
  private rotating: Promise<void> | undefined;
  private rotateFailedAt = 0;
  /** Whether this file's filesystem can cut a file's front in place (unknown until a rotation tries). */
  private collapses: boolean | undefined;
  /** Reads share the file; a rotation or a clear has it alone (a read must never see half a rotation). */
  private readers = 0;
  private drained: (() => void) | undefined;
  private exclusive: Promise<void> | undefined;
  private appending: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly options: { maxBytes: number },
  ) {
    this.previous = `${file}.1`;
    this.metaFile = new JsonFile<Meta>(`${file}.meta.json`);
  }

  private async loadMeta(): Promise<Meta> {
    if (!this.meta) {
      const { value } = await this.metaFile.read();
      const number = (field: unknown): number | null =>
        typeof field === "number" && Number.isSafeInteger(field) && field >= 0 ? field : null;
      this.meta = {
        base: number(value?.base) ?? 0,
        previousBase: number(value?.previousBase),
        previousSize: number(value?.previousSize),
        clearedAt: number(value?.clearedAt) ?? 0,
      };
    }
    return this.meta;
  }

  private async saveMeta(meta: Meta): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await this.metaFile.write(meta);
    this.meta = meta;
  }

  private async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.readers++;
    try {
      return await work();
    } finally {
      this.readers--;
      if (this.readers === 0) this.drained?.();
    }
  }

  private async alone<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let release!: () => void;
    this.exclusive = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      return await work();
    } finally {
      this.exclusive = undefined;
      release();
    }
  }

  /** Appends `text`; appends from the studio land in the order they were asked. */
  append(text: string): Promise<void> {
    const next = this.appending.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.appendFile(this.file, text, { mode: 0o640 });
    });
    this.appending = next.catch(() => undefined);
    return next;
  }

  /** The offset just past the last byte written. */
  async end(): Promise<number> {
    const meta = await this.loadMeta();
    return meta.base + (await sizeOf(this.file));
  }

  /** Rotates when the file has grown past the limit. Safe to call often. */
  async maybeRotate(): Promise<void> {
    if (this.rotating) return await this.rotating;
    const size = await sizeOf(this.file);
    if (size <= this.options.maxBytes) return;
    this.rotating = this.alone(() => this.rotate()).finally(() => (this.rotating = undefined));
    await this.rotating;
  }

  private async rotate(): Promise<void> {
    const size = await sizeOf(this.file);
    if (size <= this.options.maxBytes) return;
    const meta = await this.loadMeta();
    // The copy is made aside first: when it fails (a full disk), `{file}.1` and the meta are untouched.
    const temp = `${this.previous}.tmp`;
    try {
      const cut = Math.floor(size / COLLAPSE_ALIGN) * COLLAPSE_ALIGN;
      if (this.collapses !== false && cut > 0) {
        await pipeline(
          createReadStream(this.file, { start: 0, end: cut - 1 }),
          createWriteStream(temp, { mode: 0o640 }),
        );
        this.collapses = await collapseFront(this.file, cut);
        if (this.collapses) {
          await fs.rename(temp, this.previous);
          await this.saveMeta({ ...meta, base: meta.base + cut, previousBase: meta.base, previousSize: cut });
          return;
        }
      }
      const copied = await this.copyAndTruncate(temp);
      await fs.rename(temp, this.previous);
      await this.saveMeta({
        ...meta,
        base: meta.base + copied,
        previousBase: meta.base,
        previousSize: copied,
      });
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Copies the file to `temp`, catches up with what a writer added meanwhile, and truncates it at once. */
  private async copyAndTruncate(temp: string): Promise<number> {
    await fs.copyFile(this.file, temp);
    let copied = await sizeOf(temp);
    for (let round = 0; round < 8; round++) {
      const size = await sizeOf(this.file);
      if (size <= copied) break;
      const handle = await fs.open(this.file, "r");
      try {
        const extra = Buffer.alloc(size - copied);
        const { bytesRead } = await handle.read(extra, 0, extra.length, copied);
        await fs.appendFile(temp, extra.subarray(0, bytesRead));
        copied += bytesRead;
      } finally {
        await handle.close();
      }
    }
    // What a writer adds between the last look above and this truncate is lost.
    await fs.truncate(this.file, 0);
    return await endOfLastLine(temp, copied);
  }

  /** Marks everything written so far as cleared for readers that come without a cursor. */
  async clear(): Promise<number> {
    return await this.alone(async () => {
      const meta = await this.loadMeta();
      const end = meta.base + (await sizeOf(this.file));
      await this.saveMeta({ ...meta, clearedAt: end });
      return end;
    });
  }

  /**
   * Reads from `cursor` (or the last 64 KiB after the clear mark when it is undefined), at most 256 KiB,
   * ending on a whole UTF-8 character.
   */
  async read(cursor?: number, maxBytes = MAX_READ_BYTES): Promise<LogChunk> {
    if (Date.now() - this.rotateFailedAt > ROTATE_RETRY_MS) {
      // A rotation that fails (a full disk) must not stop the log from being read.
      await this.maybeRotate().catch(() => (this.rotateFailedAt = Date.now()));
    }
    return await this.shared(() => this.readHeld(cursor, maxBytes));
  }

  private async readHeld(cursor: number | undefined, maxBytes: number): Promise<LogChunk> {
    const meta = await this.loadMeta();
    const size = await sizeOf(this.file);
    const end = meta.base + size;
    const previousSize = meta.previousBase === null ? 0 : await sizeOf(this.previous);
    const previousHeld =
      meta.previousBase !== null &&
      previousSize > 0 &&
      (meta.previousSize === null || meta.previousSize === previousSize);
    const oldest = previousHeld ? meta.previousBase! : meta.base;
    let from: number;
    let reset = false;
    if (cursor === undefined) {
      from = Math.max(oldest, end - TAIL_BYTES, Math.min(meta.clearedAt, end));
    } else if (cursor < oldest || cursor > end) {
      from = oldest;
      reset = true;
    } else {
      from = cursor;
    }
    if (from >= end) return { content: "", cursor: end, reset };

    const want = Math.min(maxBytes, end - from);
    const buffer = Buffer.alloc(want);
    let filled: number;
    if (from < meta.base) {
      const older = Math.min(want, meta.base - from);
      filled = await readInto(this.previous, from - meta.previousBase!, buffer, 0, older);
      // Go on into the current file only when the older part was read whole, or bytes would shift.
      if (filled === older && filled < want)
        filled += await readInto(this.file, 0, buffer, filled, want - filled);
    } else {
      filled = await readInto(this.file, from - meta.base, buffer, 0, want);
    }
    let start = 0;
    if (cursor === undefined || reset) {
      // A tail or a restart may begin inside a character: skip its continuation bytes.
      while (start < filled && start < 3 && (buffer[start]! & 0xc0) === 0x80) start++;
    }
    const stop = utf8Boundary(buffer, filled);
    return { content: buffer.toString("utf8", start, stop), cursor: from + stop, reset };
  }
}

/** One LogFile object per file, so rotation and metadata stay in one place. */
export class LogStore {
  private readonly files = new Map<string, LogFile>();

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** `name` is a relative path made by the studio (`comfy-ui.log`, `jobs/{id}.log`), never user input. */
  get(name: string): LogFile {
    let log = this.files.get(name);
    if (!log) {
      log = new LogFile(path.join(this.dir, name), { maxBytes: this.maxBytes });
      this.files.set(name, log);
    }
    return log;
  }

  /** Deletes a log with its rotated part and metadata, and forgets it. */
  async remove(name: string): Promise<void> {
    const file = path.join(this.dir, name);
    this.files.delete(name);
    await Promise.all([file, `${file}.1`, `${file}.meta.json`].map((each) => fs.rm(each, { force: true })));
  }
}
