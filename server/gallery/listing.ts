/**
 * The files of one artist's folder, newest first, kept in memory and brought up to date cheaply: each
 * check stats the folders only (a new, removed or renamed file changes its folder's time) and the files
 * written in the last minutes (a render still being written grows without touching its folder). A page
 * of the listing is a binary search from its cursor, so 10,000 files page as fast as 10.
 *
 * ```ts
 * const index = new FolderIndex(dir);
 * const page = index.page(await index.fresh(), cursor, 60); // { records, next }
 * ```
 */
import { promises as fs, type Dirent } from "node:fs";
import path from "node:path";
import { badRequest } from "../util/errors.js";
import { kindOf } from "./kinds.js";
import type { GalleryKind } from "./shapes.js";
import { realFolder } from "./paths.js";

/** A listing this recent is answered without looking at the disk again. */
export const FRESH_MS = 500;
/** Files modified this recently are looked at on every check (they may still be growing). */
const RECENT_MS = 3 * 60_000;
/** How many files are stat'ed at once when a folder is read again. */
const STAT_BATCH = 64;

export interface FileRecord {
  /** Relative to the artist's folder, with `/`. */
  path: string;
  size: number;
  mtimeMs: number;
  kind: GalleryKind;
  /** Pixel size, once read (images only). */
  width?: number | null;
  height?: number | null;
}

interface FolderRecord {
  mtimeMs: number;
  ctimeMs: number;
  files: FileRecord[];
  folders: string[];
}

const join = (folder: string, name: string) => (folder === "" ? name : `${folder}/${name}`);

/** Newest first; among files of the same time, by path. */
function compare(a: { mtimeMs: number; path: string }, b: { mtimeMs: number; path: string }): number {
  if (a.mtimeMs !== b.mtimeMs) return b.mtimeMs - a.mtimeMs;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export function encodeCursor(record: FileRecord): string {
  return Buffer.from(JSON.stringify([record.mtimeMs, record.path])).toString("base64url");
}

export function decodeCursor(cursor: string): { mtimeMs: number; path: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string")
      return { mtimeMs: value[0], path: value[1] };
  } catch {
    // answered below
  }
  throw badRequest(`The cursor "${cursor.slice(0, 60)}" is not one a gallery listing gave.`);
}

async function statFiles(base: string, folder: string, entries: Dirent[]): Promise<FileRecord[]> {
  const files: FileRecord[] = [];
  for (let i = 0; i < entries.length; i += STAT_BATCH) {
    const batch = entries.slice(i, i + STAT_BATCH).map(async (entry) => {
      const rel = join(folder, entry.name);
      try {
        const stats = await fs.lstat(path.join(base, rel));
        if (stats.isFile())
          files.push({ path: rel, size: stats.size, mtimeMs: stats.mtimeMs, kind: kindOf(entry.name) });
      } catch {
        // removed meanwhile
      }
    });
    await Promise.all(batch);
  }
  return files;
}

export class FolderIndex {
  private folders = new Map<string, FolderRecord>();
  private sorted: FileRecord[] = [];
  private checkedAt = 0;
  private checking: Promise<FileRecord[]> | null = null;

  constructor(readonly dir: string) {}

  /** The records, newest first, at most FRESH_MS old. */
  fresh(): Promise<FileRecord[]> {
    if (Date.now() - this.checkedAt < FRESH_MS) return Promise.resolve(this.sorted);
    this.checking ??= this.check().finally(() => (this.checking = null));
    return this.checking;
  }

  /** The next check looks at the disk again (after a delete). */
  invalidate(): void {
    this.checkedAt = 0;
  }

  page(records: FileRecord[], cursor: string | undefined, limit: number) {
    let from = 0;
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      let low = 0;
      let high = records.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (compare(records[mid]!, after) <= 0) low = mid + 1;
        else high = mid;
      }
      from = low;
    }
    const slice = records.slice(from, from + limit);
    const last = slice.at(-1);
    return { records: slice, next: from + limit < records.length && last ? encodeCursor(last) : null };
  }

  private async check(): Promise<FileRecord[]> {
    const started = Date.now();
    const base = await realFolder(this.dir);
    let changed = false;
    const seen = new Set<string>();
    const queue = base === null ? [] : [""];
    while (queue.length > 0) {
      const folder = queue.pop()!;
      const record = await this.checkFolder(base!, folder);
      if (record === null) continue;
      seen.add(folder);
      if (record.changed) changed = true;
      queue.push(...record.folder.folders);
    }
    for (const folder of this.folders.keys()) {
      if (!seen.has(folder)) {
        this.folders.delete(folder);
        changed = true;
      }
    }
    if (changed) this.sorted = [...this.folders.values()].flatMap((folder) => folder.files).sort(compare);
    this.checkedAt = started;
    return this.sorted;
  }

  private async checkFolder(
    base: string,
    folder: string,
  ): Promise<{ folder: FolderRecord; changed: boolean } | null> {
    const full = path.join(base, folder);
    let stats;
    try {
      stats = await fs.lstat(full);
    } catch {
      return null;
    }
    if (!stats.isDirectory()) return null;
    const known = this.folders.get(folder);
    if (known && known.mtimeMs === stats.mtimeMs && known.ctimeMs === stats.ctimeMs) {
      return { folder: known, changed: await this.recheckRecent(base, known) };
    }
    let entries: Dirent[];
    try {
      entries = await fs.readdir(full, { withFileTypes: true });
    } catch {
      return null;
    }
    // Hidden names and links are never listed (nor followed).
    const visible = entries.filter((entry) => !entry.name.startsWith("."));
    const record: FolderRecord = {
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      files: await statFiles(
        base,
        folder,
        visible.filter((entry) => entry.isFile()),
      ),
      folders: visible.filter((entry) => entry.isDirectory()).map((entry) => join(folder, entry.name)),
    };
    // Sizes already read stay with a file that did not change.
    const before = new Map(known?.files.map((file) => [file.path, file]));
    for (const file of record.files) {
      const old = before.get(file.path);
      if (old && old.mtimeMs === file.mtimeMs && old.size === file.size) {
        file.width = old.width;
        file.height = old.height;
      }
    }
    this.folders.set(folder, record);
    return { folder: record, changed: true };
  }

  private async recheckRecent(base: string, folder: FolderRecord): Promise<boolean> {
    const now = Date.now();
    const recent = folder.files.filter((file) => now - file.mtimeMs < RECENT_MS);
    let changed = false;
    for (const file of recent) {
      try {
        const stats = await fs.lstat(path.join(base, file.path));
        if (stats.size !== file.size || stats.mtimeMs !== file.mtimeMs) {
          Object.assign(file, {
            size: stats.size,
            mtimeMs: stats.mtimeMs,
            width: undefined,
            height: undefined,
          });
          changed = true;
        }
      } catch {
        // removed: its folder's time changed too, so the next check reads the folder again
      }
    }
    return changed;
  }
}
