/** One file of an artist's gallery (`GET /gallery`), and where the page fetches it. */
import { query } from "./api.js";
import type { GalleryItem } from "../gallery/shapes.js";

export type { GalleryItem, GalleryPage } from "../gallery/shapes.js";

/** Newest first; among files of the same time, by path (the studio's order). */
export function comesBefore(a: GalleryItem, b: GalleryItem): boolean {
  return a.modified_at > b.modified_at || (a.modified_at === b.modified_at && a.path < b.path);
}

export const fileUrl = (artist: string, item: GalleryItem, download = false) =>
  `/gallery/file?${query({ artist, path: item.path, download: download ? 1 : null })}`;

/** The thumbnail's address changes with the file, so a new version is never an old picture. */
export const thumbUrl = (artist: string, item: GalleryItem) =>
  `/gallery/thumb?${query({ artist, path: item.path, v: `${item.modified_at}-${item.size}` })}`;

export const baseName = (item: GalleryItem) => item.path.slice(item.path.lastIndexOf("/") + 1);
