/**
 * Thumbnails for the gallery, at most 512 px, made once and kept on the volume under
 * `$STATE_DIR/gallery-thumbs/`. Images are resized with sharp; a video gets its first frame through ffmpeg
 * (run with an argument array) where ffmpeg is installed. When there is no picture to make (no ffmpeg, a
 * broken file, any other file), the answer is an icon.
 *
 * ```ts
 * const thumbs = new Thumbnails({ dir, logger });
 * const thumb = await thumbs.get(full, stats, "image"); // { file, type } or { icon, type }
 * ```
 */
import { createHash } from "node:crypto";
import { promises as fs, type Stats } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import pLimit from "p-limit";
import type { Logger } from "pino";
import sharp from "sharp";
import { writeFileAtomic } from "../state/atomic.js";
import type { GalleryKind } from "./shapes.js";

export const THUMB_MAX = 512;
/** How long ffmpeg may take over one poster frame. */
const FFMPEG_TIMEOUT_MS = 30_000;

const icon = (shape: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="10" fill="#2a2f3a"/>${shape}</svg>`;
export const ICONS = {
  video: icon(
    '<rect x="22" y="30" width="40" height="36" rx="5" fill="#9aa4b5"/><path d="M64 42l12-8v28l-12-8z" fill="#9aa4b5"/>',
  ),
  other: icon('<path d="M30 18h26l14 14v46H30z" fill="#9aa4b5"/><path d="M56 18v14h14" fill="#6b7385"/>'),
} as const;

export type Thumb = { file: string; type: "image/webp" } | { icon: string; type: "image/svg+xml" };

export interface ThumbnailOptions {
  dir: string;
  logger: Logger;
  /** The ffmpeg to run (found on PATH by default). */
  ffmpeg?: string;
}

export class Thumbnails {
  /** Decoding big images and videos is heavy: two at a time. */
  private readonly limit = pLimit(2);
  private readonly inFlight = new Map<string, Promise<Thumb>>();
  /** Files no picture could be made of (kept for the life of the process: made once, failed once). */
  private readonly failed = new Set<string>();
  private ffmpegMissing = false;

  constructor(private readonly options: ThumbnailOptions) {}

  /** Where the thumbnail of this version of a file is kept. */
  fileFor(full: string, stats: Stats): string {
    const key = createHash("sha256").update(`${full}\0${stats.size}\0${stats.mtimeMs}`).digest("hex");
    return path.join(this.options.dir, key.slice(0, 2), `${key}.webp`);
  }

  async get(full: string, stats: Stats, kind: GalleryKind): Promise<Thumb> {
    const fallback: Thumb = { icon: kind === "video" ? ICONS.video : ICONS.other, type: "image/svg+xml" };
    if (kind === "other" || (kind === "video" && this.ffmpegMissing)) return fallback;
    const file = this.fileFor(full, stats);
    if (this.failed.has(file)) return fallback;
    const pending = this.inFlight.get(file);
    if (pending) return await pending;
    const work = this.limit(async (): Promise<Thumb> => {
      try {
        await fs.access(file);
        return { file, type: "image/webp" };
      } catch {
        // not made yet
      }
      const picture = kind === "video" ? await this.posterFrame(full, file) : full;
      if (picture === null) return fallback;
      try {
        const data = await sharp(picture, { failOn: "error", animated: false })
          .autoOrient()
          .resize(THUMB_MAX, THUMB_MAX, { fit: "inside", withoutEnlargement: true })
          .webp({ quality: 78 })
          .toBuffer();
        await this.folderFor(file);
        await writeFileAtomic(file, data);
        return { file, type: "image/webp" };
      } catch (error) {
        this.options.logger.warn({ err: error, file: full }, "no thumbnail could be made");
        this.failed.add(file);
        return fallback;
      } finally {
        if (picture !== full) await fs.rm(picture, { force: true });
      }
    });
    this.inFlight.set(file, work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(file);
    }
  }

  /** The first frame of a video as a PNG next to where its thumbnail goes, or null. */
  private async posterFrame(video: string, thumb: string): Promise<string | null> {
    const frame = `${thumb}.frame.png`;
    const args = [
      "-nostdin",
      "-v",
      "error",
      "-i",
      video,
      "-frames:v",
      "1",
      "-f",
      "image2",
      "-c:v",
      "png",
      "-y",
      frame,
    ];
    try {
      await this.folderFor(thumb);
    } catch (error) {
      this.options.logger.warn({ err: error, file: video }, "the thumbnail folder could not be made");
      return null;
    }
    let ran = false;
    try {
      await execa(this.options.ffmpeg ?? "ffmpeg", args, { stdin: "ignore", timeout: FFMPEG_TIMEOUT_MS });
      ran = true;
      await fs.access(frame);
      return frame;
    } catch (error) {
      const notThere = !ran && (error as { exitCode?: number }).exitCode === undefined;
      if (notThere && (error as NodeJS.ErrnoException).code === "ENOENT") {
        if (!this.ffmpegMissing) this.options.logger.info("ffmpeg is not installed: videos show an icon");
        this.ffmpegMissing = true;
      } else {
        this.options.logger.warn({ err: error, file: video }, "ffmpeg made no poster frame");
        this.failed.add(thumb);
      }
      await fs.rm(frame, { force: true });
      return null;
    }
  }

  /**
   * Makes the cache's folder and the shard a thumbnail goes in, one level at a time: a STATE_DIR that is
   * gone (a volume unmounted, a test's folder removed) is never made again from here.
   */
  private async folderFor(file: string): Promise<void> {
    for (const dir of [this.options.dir, path.dirname(file)]) {
      await fs.mkdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
    }
  }

  /** Forgets the thumbnail of a file that was deleted. */
  async remove(full: string, stats: Stats): Promise<void> {
    await fs.rm(this.fileFor(full, stats), { force: true });
  }
}
