/**
 * Streams a dataset (images and their captions) as a zip, folder `{dataset}/` inside, with yazl.
 */
import { lstat } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import { captionNameFor } from "./names.js";
import { listImageNames } from "./images.js";

/** The files of the set, as names inside `dir`: each image, then its caption when there is one. */
export async function zipEntries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const image of await listImageNames(dir)) {
    names.push(image);
    const caption = captionNameFor(image);
    try {
      if ((await lstat(path.join(dir, caption))).isFile()) names.push(caption);
    } catch {
      // no caption for this image
    }
  }
  return names;
}

export async function streamDatasetZip(dir: string, dataset: string, out: Writable): Promise<void> {
  const entries = await zipEntries(dir);
  const zip = new yazl.ZipFile();
  for (const name of entries) {
    // Images are already compressed; captions are text and shrink well.
    zip.addFile(path.join(dir, name), `${dataset}/${name}`, { compress: name.endsWith(".txt") });
  }
  zip.end();
  await pipeline(zip.outputStream, out);
}
