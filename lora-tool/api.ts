/**
 * The JSON shapes the LoRA-Tool answers with: one definition for its server and its page's script.
 * Types only (the page imports them with `import type`), so this file has no imports.
 */

/** A dataset in the list: `GET /api/datasets`, and the answer to creating or renaming one. */
export interface DatasetSummary {
  name: string;
  images: number;
  captioned: number;
  bytes: number;
}

/** An image of a dataset folder as read from disk. */
export interface ImageInfo {
  name: string;
  bytes: number;
  width: number | null;
  height: number | null;
  modified_ms: number;
  /** The caption text, or null when there is no caption file. */
  caption: string | null;
}

/** An image as the page gets it: with the addresses of the file and of its thumbnail. */
export interface ImageItem extends ImageInfo {
  url: string;
  thumb_url: string;
}

export interface Range {
  min: number;
  avg: number;
  max: number;
}

/** Statistics over the captions of a set; null or blank counts as missing. */
export interface CaptionStats {
  images: number;
  captioned: number;
  missing: number;
  words: Range | null;
  characters: Range | null;
}

/** One dataset with its images: `GET /api/datasets/:dataset`. */
export interface DatasetDetail {
  name: string;
  images: ImageItem[];
  stats: CaptionStats;
  bytes: number;
}

export type RunState = "running" | "cancelling" | "done" | "cancelled" | "failed";

/** An auto-caption run's progress: `GET` and `POST /api/datasets/:dataset/autocaption`. */
export interface RunStatus {
  dataset: string;
  state: RunState;
  total: number;
  /** Images finished one way or another (captioned, skipped or failed). */
  done: number;
  captioned: number;
  skipped: number;
  failed: number;
  retries: number;
  in_progress: string[];
  errors: { image: string; message: string }[];
  message: string;
  started_at: string;
  ended_at: string | null;
}

/** The auto-caption settings as shown to the page: the API key only as a hint. */
export interface PublicSettings {
  base_url: string;
  model: string;
  concurrency: number;
  api_key_set: boolean;
  api_key_hint: string;
}

/** What an upload took into the dataset (under a safe, unique name) and what it refused. */
export interface UploadResult {
  added: { name: string; original: string }[];
  rejected: { name: string; message: string }[];
}

/** The answer to `POST /api/datasets/:dataset/images`; a refused request has no lists. */
export interface UploadAnswer extends Partial<UploadResult> {
  success: boolean;
  message: string;
}
