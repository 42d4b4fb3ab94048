/**
 * What a gallery file is, from its name: an image (thumbnailed with sharp), a video (a poster frame with
 * ffmpeg), or anything else. Only images and videos are ever shown inline; everything else downloads.
 */
import path from "node:path";
import type { GalleryKind } from "./shapes.js";

const TYPES: Record<string, { kind: GalleryKind; type: string }> = {
  ".png": { kind: "image", type: "image/png" },
  ".jpg": { kind: "image", type: "image/jpeg" },
  ".jpeg": { kind: "image", type: "image/jpeg" },
  ".webp": { kind: "image", type: "image/webp" },
  ".gif": { kind: "image", type: "image/gif" },
  ".avif": { kind: "image", type: "image/avif" },
  ".tif": { kind: "image", type: "image/tiff" },
  ".tiff": { kind: "image", type: "image/tiff" },
  ".mp4": { kind: "video", type: "video/mp4" },
  ".m4v": { kind: "video", type: "video/mp4" },
  ".webm": { kind: "video", type: "video/webm" },
  ".mov": { kind: "video", type: "video/quicktime" },
  ".mkv": { kind: "video", type: "video/x-matroska" },
  ".avi": { kind: "video", type: "video/x-msvideo" },
};

export function kindOf(file: string): GalleryKind {
  return TYPES[path.extname(file).toLowerCase()]?.kind ?? "other";
}

/** The Content-Type a file is served with; anything not an image or video is sent as bytes to save. */
export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()]?.type ?? "application/octet-stream";
}

/** Files already compressed gain nothing from zip's deflate. */
export function worthCompressing(file: string): boolean {
  return kindOf(file) === "other";
}
