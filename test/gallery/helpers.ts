/** Files for gallery tests: pictures made with sharp, files with set times, the stand-in ffmpeg. */
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import type { TestStudio } from "../helpers/studio.js";

export const STANDIN_FFMPEG = path.join(path.dirname(fileURLToPath(import.meta.url)), "bin", "ffmpeg");

export async function png(width: number, height: number, color = "#c8553d"): Promise<Buffer> {
  return await sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
}

/** The output folder of `artist` in a test studio. */
export function outputOf(s: TestStudio, artist: string): string {
  return path.join(s.dirs.workspace, "ComfyUI", "output", artist);
}

/** Writes `data` to `rel` under `dir`, modified at `at` (ms since the epoch) when given. */
export function put(dir: string, rel: string, data: string | Buffer, at?: number): string {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  if (at !== undefined) utimesSync(file, at / 1000, at / 1000);
  return file;
}
