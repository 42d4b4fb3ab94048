/**
 * Sends one gallery file from an open handle (so what was checked is what is sent), with a single byte
 * range when asked (videos seek with these). Pictures and videos are shown inline; anything else only
 * downloads, and nothing sent from here may run a script on the studio's origin.
 */
import type { Request, Response } from "express";
import { pipeline } from "node:stream/promises";
import { contentTypeOf, kindOf } from "./kinds.js";
import type { OpenedFile } from "./paths.js";

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; null for anything else (the whole file is sent). */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "bad" | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === "" && match[2] === "")) return null;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start > end || start >= size ? "bad" : { start, end };
}

export async function sendOpened(
  req: Request,
  res: Response,
  file: OpenedFile,
  options: { download: boolean },
): Promise<void> {
  const { handle, stats, full } = file;
  const inline = !options.download && kindOf(full) !== "other";
  const size = stats.size;
  // attachment() also sets a type from the name: the one set below wins.
  if (inline) res.set("Content-Disposition", "inline");
  else res.attachment(full);
  res.set({
    "Content-Type": contentTypeOf(full),
    "Accept-Ranges": "bytes",
    "Last-Modified": stats.mtime.toUTCString(),
    "Cache-Control": "private, max-age=300",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; sandbox",
  });
  const range = byteRange(req.headers.range, size);
  if (range === "bad") {
    await handle.close();
    res
      .status(416)
      .set("Content-Range", `bytes */${size}`)
      .json({ success: false, message: `That byte range is outside the file (${size} bytes).` });
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  if (range) res.status(206).set("Content-Range", `bytes ${start}-${end}/${size}`);
  res.set("Content-Length", String(size === 0 ? 0 : end - start + 1));
  if (req.method === "HEAD" || size === 0) {
    await handle.close();
    res.end();
    return;
  }
  await pipeline(handle.createReadStream({ start, end }), res);
}
