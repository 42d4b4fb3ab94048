/**
 * Thumbnails made with sharp and cached under `$STATE_DIR/lora-tool/thumbs/{dataset}/{image}.webp`,
 * outside the dataset so training tools never see them. A thumbnail older than its image is remade.
 */
import { lstat, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import pLimit from "p-limit";
import sharp from "sharp";
import { writeFileAtomic } from "@comfystudio/kit/atomic";
import { readInside } from "@comfystudio/kit/paths";

export const THUMB_SIZE = 384;

export class ThumbnailCache {
  /** Decoding big images is CPU- and memory-heavy: a few at a time. */
  private readonly limit = pLimit(2);
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(readonly root: string) {}

  private folderOf(dataset: string): string {
    return path.join(this.root, dataset);
  }

  private fileOf(dataset: string, image: string): string {
    return path.join(this.folderOf(dataset), `${image}.webp`);
  }

  /** Renders a thumbnail of `source` (decoding the whole image, so it also proves the image is readable). */
  static async render(source: string | Buffer): Promise<Buffer> {
    return await sharp(source, { failOn: "error" })
      .autoOrient()
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 78 })
      .toBuffer();
  }

  /** The path of a fresh thumbnail of the image `dir/image`, made when missing or stale. */
  async get(dataset: string, image: string, dir: string): Promise<string> {
    const target = this.fileOf(dataset, image);
    const pending = this.inFlight.get(target);
    if (pending) return await pending;
    const work = this.limit(async () => {
      const sourceStats = await lstat(path.join(dir, image));
      try {
        const thumbStats = await lstat(target);
        if (thumbStats.mtimeMs >= sourceStats.mtimeMs) return target;
      } catch {
        // not cached yet
      }
      // The image is read as the kit opens files: never through a link.
      await this.put(dataset, image, await ThumbnailCache.render(await readInside(dir, image)));
      return target;
    });
    this.inFlight.set(target, work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(target);
    }
  }

  async put(dataset: string, image: string, data: Buffer): Promise<void> {
    await mkdir(this.folderOf(dataset), { recursive: true });
    await writeFileAtomic(this.fileOf(dataset, image), data);
  }

  async remove(dataset: string, image: string): Promise<void> {
    await rm(this.fileOf(dataset, image), { force: true });
  }

  async removeDataset(dataset: string): Promise<void> {
    await rm(this.folderOf(dataset), { recursive: true, force: true });
  }

  async renameDataset(from: string, to: string): Promise<void> {
    await rm(this.folderOf(to), { recursive: true, force: true });
    try {
      await rename(this.folderOf(from), this.folderOf(to));
    } catch {
      // nothing cached yet; thumbnails are remade on demand
    }
  }
}
