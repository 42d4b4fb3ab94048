/**
 * The gallery's JSON shapes (`GET /gallery`): one definition for the server and the page's script. This
 * file has no imports, so the page can load it too.
 */

export const GALLERY_KINDS = ["image", "video", "other"] as const;
export type GalleryKind = (typeof GALLERY_KINDS)[number];

/** One file of a listing. */
export interface GalleryItem {
  /** Relative to the artist's folder, with `/`. */
  path: string;
  size: number;
  modified_at: string;
  kind: GalleryKind;
  /** Pixel size of a picture; null for videos and other files, or when it could not be read. */
  width: number | null;
  height: number | null;
}

export interface GalleryPage {
  artist: string;
  items: GalleryItem[];
  next_cursor: string | null;
}
