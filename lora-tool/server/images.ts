/**
 * The images of one dataset folder with their size, pixel dimensions and caption text.
 * Only regular files with an image extension count; hidden files and links are ignored.
 */
import { lstat, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { badRequest, notFound } from "@comfystudio/kit/errors";
import { childPath, openInside } from "@comfystudio/kit/paths";
import type { Request, Response } from "express";
import sharp from "sharp";
import type { ImageInfo } from "../api.js";
import { captionNameFor, checkName, isImageName } from "./names.js";

interface CachedDimensions {
  key: string;
  width: number | null;
  height: number | null;
}

const dimensionCache = new Map<string, CachedDimensions>();
const DIMENSION_CACHE_LIMIT = 20_000;

/** Width and height as shown (EXIF orientation applied), read from the header and cached per file version. */
async function dimensionsOf(file: string, bytes: number, modifiedMs: number) {
  const key = `${bytes}:${modifiedMs}`;
  const cached = dimensionCache.get(file);
  if (cached?.key === key) return cached;
  let width: number | null = null;
  let height: number | null = null;
  try {
    const meta = await sharp(file).metadata();
    width = meta.autoOrient?.width ?? meta.width ?? null;
    height = meta.autoOrient?.height ?? meta.height ?? null;
  } catch {
    // An unreadable file still shows in the list, without dimensions.
  }
  if (dimensionCache.size >= DIMENSION_CACHE_LIMIT) dimensionCache.clear();
  const entry = { key, width, height };
  dimensionCache.set(file, entry);
  return entry;
}

export async function readCaptionFile(file: string): Promise<string | null> {
  try {
    const stats = await lstat(file);
    if (!stats.isFile()) return null;
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
}

/** The image file names of a dataset folder, sorted naturally. */
export async function listImageNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith(".") && isImageName(entry.name))
    .map((entry) => entry.name)
    .sort(compareNames);
}

/**
 * The images of a dataset folder with sizes and captions; pixel dimensions too unless
 * `dimensions` is false (the dataset list only needs counts). Files that vanish meanwhile are left out.
 */
export async function listImages(dir: string, { dimensions = true } = {}): Promise<ImageInfo[]> {
  const names = await listImageNames(dir);
  const found = await Promise.all(
    names.map(async (name): Promise<ImageInfo | null> => {
      const file = path.join(dir, name);
      try {
        const stats = await lstat(file);
        const size = dimensions
          ? await dimensionsOf(file, stats.size, stats.mtimeMs)
          : { width: null, height: null };
        return {
          name,
          bytes: stats.size,
          width: size.width,
          height: size.height,
          modified_ms: Math.floor(stats.mtimeMs),
          caption: await readCaptionFile(path.join(dir, captionNameFor(name))),
        };
      } catch {
        return null;
      }
    }),
  );
  return found.filter((image): image is ImageInfo => image !== null);
}

/** The path of an existing image of the dataset folder `dir`, or a 4xx. */
export async function requireImage(dir: string, name: unknown): Promise<string> {
  const checked = checkName(name, "image");
  if (!isImageName(checked)) throw badRequest(`"${checked}" is not a .jpg, .jpeg, .png or .webp file.`);
  const file = childPath(dir, checked);
  try {
    if ((await lstat(file)).isFile()) return file;
  } catch {
    // fall through to the 404
  }
  throw notFound(`There is no image named "${checked}" in this dataset.`);
}

const IMAGE_TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
};

/**
 * Sends an image of the dataset folder `dir`, opened without following links (the kit's `openInside`), with
 * Last-Modified and ETag so a browser's revalidation gets a 304.
 */
export async function sendImage(req: Request, res: Response, dir: string, name: unknown): Promise<void> {
  const checked = checkName(name, "image");
  await requireImage(dir, checked);
  const handle = await openInside(dir, checked);
  try {
    const stats = await handle.stat();
    res.set({
      "Cache-Control": "private, no-cache",
      "Content-Type": IMAGE_TYPES[path.extname(checked).toLowerCase()] ?? "application/octet-stream",
      "Last-Modified": stats.mtime.toUTCString(),
      ETag: `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.set("Content-Length", String(stats.size));
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    await pipeline(handle.createReadStream({ autoClose: false }), res).catch((error: unknown) => {
      // A browser that goes away mid-image is no fault.
      if (!res.destroyed) throw error;
    });
  } finally {
    await handle.close();
  }
}
