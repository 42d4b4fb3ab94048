/**
 * Each artist's gallery: their output folder listed newest first, thumbnails, single files, zips, and
 * deletes (one's own files, or anyone's in admin mode). Every path is checked (gallery/paths.ts) before
 * a file is touched.
 *
 * ```ts
 * const gallery = new Gallery({ users, stateDir, logger });
 * const page = await gallery.list("Rosa", { limit: 60 });   // { artist, items, next_cursor }
 * await gallery.remove(who, "Rosa", ["ComfyUI_00001_.png"]);
 * ```
 */
import path from "node:path";
import pLimit from "p-limit";
import type { Logger } from "pino";
import sharp from "sharp";
import type { UserStore } from "../users/store.js";
import type { Who } from "../users/who.js";
import { forbidden, notFound } from "../util/errors.js";
import { promises as fs } from "node:fs";
import { kindOf } from "./kinds.js";
import { FolderIndex, type FileRecord } from "./listing.js";
import { checkRelative, locateInside } from "./paths.js";
import type { GalleryItem, GalleryPage } from "./shapes.js";
import { Thumbnails, type Thumb } from "./thumbs.js";

export type { GalleryItem, GalleryPage };

export const DEFAULT_LIMIT = 60;
export const MAX_LIMIT = 500;

export interface GalleryOptions {
  users: UserStore;
  stateDir: string;
  logger: Logger;
  ffmpeg?: string;
}

export class Gallery {
  private readonly indexes = new Map<string, FolderIndex>();
  private readonly sizes = pLimit(8);
  readonly thumbs: Thumbnails;

  constructor(private readonly options: GalleryOptions) {
    this.thumbs = new Thumbnails({
      dir: path.join(options.stateDir, "gallery-thumbs"),
      logger: options.logger,
      ffmpeg: options.ffmpeg,
    });
  }

  /** The listed artist (as the users file writes the name) and their output folder; 404 when unknown. */
  artist(name: string): { artist: string; dir: string } {
    const user = this.options.users.find(name);
    if (!user) throw notFound(`"${name.trim().slice(0, 64)}" is not on the studio's list of users.`);
    return { artist: user.name, dir: this.options.users.outputDir(user.name) };
  }

  private index(dir: string): FolderIndex {
    let index = this.indexes.get(dir);
    if (!index) {
      index = new FolderIndex(dir);
      this.indexes.set(dir, index);
    }
    return index;
  }

  async list(name: string, query: { cursor?: string; limit?: number } = {}): Promise<GalleryPage> {
    const { artist, dir } = this.artist(name);
    const index = this.index(dir);
    const { records, next } = index.page(await index.fresh(), query.cursor, query.limit ?? DEFAULT_LIMIT);
    await Promise.all(records.map((record) => this.sizes(() => this.readSize(dir, record))));
    return {
      artist,
      items: records.map((record) => ({
        path: record.path,
        size: record.size,
        modified_at: new Date(record.mtimeMs).toISOString(),
        kind: record.kind,
        width: record.width ?? null,
        height: record.height ?? null,
      })),
      next_cursor: next,
    };
  }

  /** Every file of an artist's folder, newest first (for a zip of everything). */
  async all(name: string): Promise<{ artist: string; dir: string; paths: string[] }> {
    const { artist, dir } = this.artist(name);
    return { artist, dir, paths: (await this.index(dir).fresh()).map((record) => record.path) };
  }

  /** An image's pixel size, read from its header once per version of the file. */
  private async readSize(dir: string, record: FileRecord): Promise<void> {
    if (record.kind !== "image" || record.width !== undefined) return;
    try {
      const { full } = await locateInside(dir, record.path);
      const meta = await sharp(full).metadata();
      const turned = (meta.orientation ?? 1) >= 5;
      record.width = (turned ? meta.height : meta.width) ?? null;
      record.height = (turned ? meta.width : meta.height) ?? null;
    } catch {
      record.width = null;
      record.height = null;
    }
  }

  async thumb(name: string, rel: string): Promise<Thumb> {
    const { dir } = this.artist(name);
    const { full, stats } = await locateInside(dir, checkRelative(rel));
    return await this.thumbs.get(full, stats, kindOf(full));
  }

  /** Checks every path first (nothing is deleted when one is wrong), then deletes them all. */
  async remove(who: Who, name: string, paths: string[]): Promise<{ artist: string; deleted: number }> {
    const { artist, dir } = this.artist(name);
    if (who.artist !== artist && !who.adminMode) {
      throw forbidden(
        who.isAdmin
          ? `These are ${artist}'s files: switch admin mode on to delete them.`
          : `These are ${artist}'s files: only ${artist} or an admin in admin mode may delete them.`,
      );
    }
    const unique = [...new Set(paths.map(checkRelative))];
    const found = await Promise.all(unique.map((rel) => locateInside(dir, rel)));
    for (const { full, stats } of found) {
      await fs.rm(full, { force: true });
      await this.thumbs.remove(full, stats);
    }
    this.index(dir).invalidate();
    return { artist, deleted: found.length };
  }
}
