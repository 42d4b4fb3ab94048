/**
 * Remembered file sizes, keyed by a manifest URL: `{stateDir}/models/sizes.json`.
 *
 * The downloader writes a size whenever a server tells it (HEAD, Content-Length, Content-Range) or a file
 * completes; the status view reads it to report bytes and to tell a complete file from a short one. Only
 * manifest URLs are stored (never a redirect target, never a header), so the file holds no secret. Writes are
 * atomic (temporary file and rename) and serialised within the process.
 *
 * ```ts
 * const cache = await SizeCache.open(stateDir);
 * cache.get(url);             // number | undefined
 * await cache.set(url, 1234); // written to disk before it resolves
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../state/atomic.js";

/** The cache file for a state folder. Example: `sizeCachePath("/workspace/.comfystudio")` is `/workspace/.comfystudio/models/sizes.json`. */
export function sizeCachePath(stateDir: string): string {
  return path.join(stateDir, "models", "sizes.json");
}

/**
 * Reads the size cache; a missing or broken file gives an empty map.
 *
 * ```ts
 * const sizes = await readSizeCache(stateDir); // { "https://...": 335304388 }
 * ```
 */
export async function readSizeCache(stateDir: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await fs.readFile(sizeCachePath(stateDir), "utf8");
  } catch {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const sizes: Record<string, number> = {};
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      for (const [url, value] of Object.entries(parsed as Record<string, unknown>)) {
        if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) sizes[url] = value;
      }
    }
    return sizes;
  } catch {
    return {};
  }
}

/** An in-memory view of the size cache that writes through to disk. */
export class SizeCache {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly sizes: Record<string, number>,
  ) {}

  /**
   * Loads the cache of `stateDir` (empty when there is none yet).
   *
   * ```ts
   * const cache = await SizeCache.open("/workspace/.comfystudio");
   * ```
   */
  static async open(stateDir: string): Promise<SizeCache> {
    return new SizeCache(sizeCachePath(stateDir), await readSizeCache(stateDir));
  }

  /** The remembered size of `url`, if any. */
  get(url: string): number | undefined {
    return this.sizes[url];
  }

  /** A copy of every remembered size. */
  snapshot(): Record<string, number> {
    return { ...this.sizes };
  }

  /**
   * Remembers `bytes` for `url` and saves the cache; a failed save is reported to the caller but keeps the
   * value in memory.
   *
   * ```ts
   * await cache.set("https://huggingface.co/x/resolve/main/a.safetensors", 335304388);
   * ```
   */
  async set(url: string, bytes: number): Promise<void> {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || this.sizes[url] === bytes) return;
    this.sizes[url] = bytes;
    const save = this.writing.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, JSON.stringify(this.sizes, Object.keys(this.sizes).sort(), 2) + "\n");
    });
    this.writing = save.catch(() => undefined);
    await save;
  }
}
