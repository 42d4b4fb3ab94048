/**
 * Streams a dataset (images and their captions) as a zip, folder `{dataset}/` inside, with yazl. A file whose
 * name a zip cannot hold as it is (a backslash reads as a folder separator there) is left out, and
 * `SKIPPED.txt` beside the folder says which and why.
 */
import { lstat } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import { captionNameFor } from "./names.js";
import { listImageNames } from "./images.js";

export const SKIPPED_NOTE = "SKIPPED.txt";

export interface ZipPlan {
  /** Names inside the dataset folder: each image, then its caption when there is one. */
  entries: string[];
  /** Names left out, each with the reason. */
  skipped: { name: string; reason: string }[];
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isFile();
  } catch {
    return false;
  }
}

export async function planZip(dir: string): Promise<ZipPlan> {
  const plan: ZipPlan = { entries: [], skipped: [] };
  for (const image of await listImageNames(dir)) {
    const caption = captionNameFor(image);
    const names = (await isFile(path.join(dir, caption))) ? [image, caption] : [image];
    for (const name of names) {
      if (name.includes("\\")) {
        plan.skipped.push({ name, reason: "its name has a backslash, which a zip reads as a folder" });
      } else {
        plan.entries.push(name);
      }
    }
  }
  return plan;
}

function skippedNote(dataset: string, skipped: ZipPlan["skipped"]): string {
  const lines = skipped.map((item) => `- ${item.name}: ${item.reason}`);
  return `These files of the dataset "${dataset}" are not in this zip:\n${lines.join("\n")}\nRename them on the volume and download again to include them.\n`;
}

export async function streamDatasetZip(
  dir: string,
  dataset: string,
  out: Writable,
): Promise<ZipPlan["skipped"]> {
  const { entries, skipped } = await planZip(dir);
  const zip = new yazl.ZipFile();
  for (const name of entries) {
    // Images are already compressed; captions are text and shrink well.
    zip.addFile(path.join(dir, name), `${dataset}/${name}`, { compress: name.endsWith(".txt") });
  }
  if (skipped.length > 0) zip.addBuffer(Buffer.from(skippedNote(dataset, skipped)), SKIPPED_NOTE);
  zip.end();
  await pipeline(zip.outputStream, out);
  return skipped;
}
