/**
 * A log file read by cursor. A cursor is a byte offset in the log's whole history: it stays valid across
 * rotations and studio restarts, because the offset of the current file's first byte (`base`) is kept in a
 * small side file. Rotation copies the file to `{file}.1` and truncates it in place, so a process that
 * appends to it (a tool started before the studio) keeps writing to the right file.
 *
 * ```ts
 * const log = new LogFile("/state/logs/comfy-ui.log", { maxBytes: 32 << 20 });
 * const first = await log.read();              // the last 64 KiB
 * const next = await log.read(first.cursor);   // only what was added since
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { JsonFile } from "../state/atomic.js";

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
  /** Offset before which a reader without a cursor sees nothing (set by "clear"). */
  clearedAt: number;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

/** The index just past the last whole UTF-8 character in `buffer[0, length)`. */
function utf8Boundary(buffer: Buffer, length: number): number {
  let i = length;
  let back = 0;
  while (i > 0 && back < 4 && (buffer[i - 1]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return length;
  const lead = buffer[i - 1]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return back + 1 >= need ? length : i - 1;
}

export class LogFile {
  readonly previous: string;
  private readonly metaFile: JsonFile<Meta>;
  private meta: Meta | undefined;
  private rotating: Promise<void> | undefined;

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
      this.meta = {
        base: typeof value?.base === "number" ? value.base : 0,
        previousBase: typeof value?.previousBase === "number" ? value.previousBase : null,
        clearedAt: typeof value?.clearedAt === "number" ? value.clearedAt : 0,
      };
    }
    return this.meta;
  }

  private async saveMeta(meta: Meta): Promise<void> {
    this.meta = meta;
    await this.metaFile.write(meta);
  }

  async append(text: string): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, text, { mode: 0o640 });
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
    this.rotating = this.rotate().finally(() => (this.rotating = undefined));
    await this.rotating;
  }

  private async rotate(): Promise<void> {
    const meta = await this.loadMeta();
    await fs.copyFile(this.file, this.previous);
    // Bytes a writer added while the copy ran go to the copy too; what lands between this and the
    // truncate below is the only window, a few microseconds long.
    let copied = await sizeOf(this.previous);
    const size = await sizeOf(this.file);
    if (size > copied) {
      const handle = await fs.open(this.file, "r");
      try {
        const extra = Buffer.alloc(size - copied);
        const { bytesRead } = await handle.read(extra, 0, extra.length, copied);
        await fs.appendFile(this.previous, extra.subarray(0, bytesRead));
        copied += bytesRead;
      } finally {
        await handle.close();
      }
    }
    await fs.truncate(this.file, 0);
    await this.saveMeta({ ...meta, base: meta.base + copied, previousBase: meta.base });
  }

  /** Marks everything written so far as cleared for readers that come without a cursor. */
  async clear(): Promise<number> {
    const meta = await this.loadMeta();
    const end = meta.base + (await sizeOf(this.file));
    await this.saveMeta({ ...meta, clearedAt: end });
    return end;
  }

  /**
   * Reads from `cursor` (or the last 64 KiB after the clear mark when it is undefined), at most 256 KiB,
   * ending on a whole UTF-8 character.
   */
  async read(cursor?: number, maxBytes = MAX_READ_BYTES): Promise<LogChunk> {
    await this.maybeRotate();
    const meta = await this.loadMeta();
    const size = await sizeOf(this.file);
    const end = meta.base + size;
    const previousSize = meta.previousBase === null ? 0 : await sizeOf(this.previous);
    const oldest = meta.previousBase !== null && previousSize > 0 ? meta.previousBase : meta.base;
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
    let filled = 0;
    if (from < meta.base && meta.previousBase !== null) {
      filled += await readInto(this.previous, from - meta.previousBase, buffer, 0, Math.min(want, meta.base - from));
    }
    if (filled < want) {
      const offset = Math.max(0, from + filled - meta.base);
      filled += await readInto(this.file, offset, buffer, filled, want - filled);
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

async function readInto(file: string, position: number, buffer: Buffer, offset: number, length: number): Promise<number> {
  if (length <= 0) return 0;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch {
    return 0;
  }
  try {
    const { bytesRead } = await handle.read(buffer, offset, length, position);
    return bytesRead;
  } finally {
    await handle.close();
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
}
