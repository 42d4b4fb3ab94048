/**
 * Atomic JSON files: a write goes to a temp file in the same folder, is flushed, then renamed over the
 * old one, so a crash or a full disk never leaves a half-written file (the old one survives).
 *
 * ```ts
 * const file = new JsonFile<State>(path.join(stateDir, "state.json"));
 * const { value, warning } = await file.read(); // a bad file is kept as state.json.bad-{time}
 * await file.write({ tools: [] });
 * ```
 */
import { writeFileAtomic } from "@comfystudio/kit/atomic";
import { constants, promises as fs } from "node:fs";
import path from "node:path";

export { writeFileAtomic };

/** A regular file's text: never through a link, never blocking on a FIFO or a device. */
export async function readRegularFile(file: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw Object.assign(new Error("it is not a regular file"), { code: "ENOTREG" });
    if (stat.size > maxBytes)
      throw Object.assign(new Error(`it is larger than ${maxBytes} bytes`), { code: "EFBIG" });
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

export interface ReadResult<T> {
  value: T | undefined;
  /** Set when the file was there but unreadable: a sentence for /debug. */
  warning?: string;
}

export class JsonFile<T> {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly options: { mode?: number; validate?: (value: unknown) => T } = {},
  ) {}

  /**
   * Reads the file; a missing file is `undefined`, a broken one is set aside with a warning. It is opened
   * without following a link and without blocking (a FIFO or a link in its place is refused, not read).
   */
  async read(): Promise<ReadResult<T>> {
    let text: string;
    try {
      text = await readRegularFile(this.file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return { value: undefined };
      const reason = code === "ELOOP" ? "it is a link" : (error as Error).message;
      return {
        value: undefined,
        warning: `${path.basename(this.file)} could not be read (${reason}); the studio started from empty and writes a new one.`,
      };
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return { value: this.options.validate ? this.options.validate(parsed) : (parsed as T) };
    } catch (error) {
      const copy = `${this.file}.bad-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const kept = await fs.copyFile(this.file, copy).then(
        () => `a copy was kept as ${copy}`,
        (copyError: unknown) => `no copy could be kept (${(copyError as Error).message})`,
      );
      const reason =
        text.trim() === ""
          ? "it is empty"
          : error instanceof SyntaxError
            ? "it is not valid JSON"
            : (error as Error).message;
      return {
        value: undefined,
        warning: `${path.basename(this.file)} was unreadable (${reason}); ${kept} and the studio started from empty.`,
      };
    }
  }

  /** Writes `value` atomically; writes are applied in the order asked. */
  write(value: T): Promise<void> {
    const data = `${JSON.stringify(value, null, 2)}\n`;
    const next = this.chain.then(() => writeFileAtomic(this.file, data, this.options.mode));
    this.chain = next.catch(() => undefined);
    return next;
  }
}
