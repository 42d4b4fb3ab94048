/**
 * What the studio and its download thread say to each other. The thread gets the sets and the options that
 * are plain data (tokens travel in this memory only: never an environment variable or an argument); it
 * sends back log lines, progress and how the run ended, an error as plain fields that `fromPlain` turns back
 * into the same class, so a caller tells a cancel, a failed file and a full disk apart as before.
 *
 * ```ts
 * port.postMessage({ type: "failed", error: toPlain(error) });
 * throw fromPlain(message.error); // a DownloadError with its failures, an AbortError, ...
 * ```
 */
import {
  DownloadAbortError,
  DownloadError,
  NotEnoughSpaceError,
  type DownloadGroup,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadSummary,
} from "../downloader.js";

/** The options a thread can be given: everything but the callbacks, which stay with the caller. */
export type ThreadOptions = Omit<DownloadOptions, "signal" | "log" | "onProgress" | "freeSpace" | "writes">;

export interface ThreadData {
  sets: readonly DownloadGroup[];
  options: ThreadOptions;
}

export type ToThread = { type: "abort" };

export type FromThread =
  | { type: "log"; line: string }
  | { type: "progress"; progress: DownloadProgress }
  | { type: "done"; summary: DownloadSummary }
  | { type: "failed"; error: PlainError };

export interface PlainError {
  name: string;
  message: string;
  failures?: DownloadError["failures"];
  space?: { neededBytes: number; freeBytes: number; dir: string };
}

export function toPlain(error: unknown): PlainError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const plain: PlainError = { name: error.name, message: error.message };
  if (error instanceof DownloadError) plain.failures = error.failures;
  if (error instanceof NotEnoughSpaceError) {
    plain.space = { neededBytes: error.neededBytes, freeBytes: error.freeBytes, dir: error.dir };
  }
  return plain;
}

export function fromPlain(plain: PlainError): Error {
  if (plain.name === "AbortError") return new DownloadAbortError();
  if (plain.failures) return new DownloadError(plain.message, plain.failures);
  if (plain.space)
    return new NotEnoughSpaceError(plain.space.neededBytes, plain.space.freeBytes, plain.space.dir);
  const error = new Error(plain.message);
  error.name = plain.name;
  return error;
}
