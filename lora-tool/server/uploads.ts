/**
 * Takes uploaded files (already on disk in a temp folder) into a dataset: a safe unique name, the
 * content proven to be a JPEG, PNG or WebP by decoding it, and a thumbnail made on the way.
 */
import { readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { UploadResult } from "../api.js";
import { isImageName, normaliseUploadName, stemKey } from "./names.js";
import { ThumbnailCache } from "./thumbs.js";

export interface UploadedFile {
  /** The name the browser gave. */
  originalname: string;
  /** Where the upload waits on disk. */
  path: string;
}

const ACCEPTED_FORMATS = new Set(["jpeg", "png", "webp"]);

/** `cat.png` when free, else `cat-2.png`, `cat-3.png`, ...: one image per caption file name. */
export function uniqueName(name: string, takenStems: Set<string>): string {
  const ext = path.extname(name);
  const stem = path.basename(name, ext);
  let candidate = name;
  for (let n = 2; takenStems.has(stemKey(candidate)); n++) candidate = `${stem}-${n}${ext}`;
  return candidate;
}

async function takenStemsOf(dir: string): Promise<Set<string>> {
  const entries = await readdir(dir);
  return new Set(
    entries.filter((name) => isImageName(name) || name.toLowerCase().endsWith(".txt")).map(stemKey),
  );
}

/** Why the file is not an image we take, or null with its thumbnail when it is. */
async function inspect(file: string): Promise<{ problem: string } | { thumbnail: Buffer }> {
  let format: string;
  try {
    format = (await sharp(file).metadata()).format;
  } catch {
    return { problem: "is not an image (its content is not JPEG, PNG or WebP)" };
  }
  if (!ACCEPTED_FORMATS.has(format)) {
    return { problem: `is a ${format.toUpperCase()} image; only JPEG, PNG and WebP are accepted` };
  }
  try {
    return { thumbnail: await ThumbnailCache.render(file) };
  } catch {
    return { problem: "is damaged or truncated and cannot be read" };
  }
}

export async function acceptUploads(
  dir: string,
  dataset: string,
  files: readonly UploadedFile[],
  thumbs: ThumbnailCache,
): Promise<UploadResult> {
  const result: UploadResult = { added: [], rejected: [] };
  const taken = await takenStemsOf(dir);
  for (const file of files) {
    const original = file.originalname;
    try {
      const safe = normaliseUploadName(original);
      if (safe === null) {
        result.rejected.push({
          name: original,
          message: "has an unsafe name (a slash, '..' or control characters)",
        });
        continue;
      }
      if (!isImageName(safe)) {
        result.rejected.push({ name: original, message: "is not a .jpg, .jpeg, .png or .webp file" });
        continue;
      }
      const inspected = await inspect(file.path);
      if ("problem" in inspected) {
        result.rejected.push({ name: original, message: inspected.problem });
        continue;
      }
      const name = uniqueName(safe, taken);
      await rename(file.path, path.join(dir, name));
      taken.add(stemKey(name));
      await thumbs.put(dataset, name, inspected.thumbnail);
      result.added.push({ name, original });
    } finally {
      await rm(file.path, { force: true });
    }
  }
  return result;
}
