/** What the route modules share: the stores and services of one app instance. */
import type { Logger } from "pino";
import type { AutoCaptioner } from "./autocaption.js";
import type { DatasetStore } from "./datasets.js";
import type { KeyedLock } from "./keyed-lock.js";
import type { SettingsStore } from "./settings.js";
import type { ThumbnailCache } from "./thumbs.js";

export interface Context {
  store: DatasetStore;
  thumbs: ThumbnailCache;
  settings: SettingsStore;
  captioner: AutoCaptioner;
  /** Changes to one dataset (uploads, caption edits, trigger word, replace, deletes) run one at a time. */
  locks: KeyedLock;
  logger: Logger;
  uploadLimitBytes: number;
  maxFilesPerUpload: number;
}
