/**
 * Caption files beside their images: write one (atomically), and the set-wide operations
 * (trigger word, find and replace, statistics) over a dataset folder.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "@comfystudio/kit/atomic";
import { applyTrigger, captionStats, replaceLiteral, type CaptionStats } from "./caption-text.js";
import { listImages, readCaptionFile } from "./images.js";
import { captionNameFor } from "./names.js";

export const MAX_CAPTION_LENGTH = 20_000;

export function captionPath(dir: string, imageName: string): string {
  return path.join(dir, captionNameFor(imageName));
}

/** Writes the caption of an image; blank text removes the caption file. */
export async function writeCaption(dir: string, imageName: string, text: string): Promise<void> {
  const file = captionPath(dir, imageName);
  if (text.trim() === "") {
    await rm(file, { force: true });
    return;
  }
  await writeFileAtomic(file, text);
}

export async function readCaption(dir: string, imageName: string): Promise<string | null> {
  return await readCaptionFile(captionPath(dir, imageName));
}

/** Applies `trigger` to every image's caption (an image without one gets the trigger alone). */
export async function applyTriggerToSet(
  dir: string,
  trigger: string,
): Promise<{ changed: number; total: number }> {
  const images = await listImages(dir, { dimensions: false });
  let changed = 0;
  for (const image of images) {
    const before = image.caption ?? "";
    const after = applyTrigger(before, trigger);
    if (after !== before) {
      await writeCaption(dir, image.name, after);
      changed++;
    }
  }
  return { changed, total: images.length };
}

/** Literal find and replace across every caption of the set. */
export async function replaceInSet(
  dir: string,
  find: string,
  replacement: string,
): Promise<{ changed: number; replacements: number }> {
  const images = await listImages(dir, { dimensions: false });
  let changed = 0;
  let replacements = 0;
  for (const image of images) {
    if (image.caption === null) continue;
    const result = replaceLiteral(image.caption, find, replacement);
    if (result.count > 0 && result.text !== image.caption) {
      await writeCaption(dir, image.name, result.text);
      changed++;
      replacements += result.count;
    }
  }
  return { changed, replacements };
}

export async function statsOfSet(dir: string): Promise<CaptionStats> {
  const images = await listImages(dir, { dimensions: false });
  return captionStats(images.map((image) => image.caption));
}
