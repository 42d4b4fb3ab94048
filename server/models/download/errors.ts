/**
 * What a download run can end with, and the two signals its pieces pass to the retry loop.
 *
 * ```ts
 * try { await downloadSets(sets, options); }
 * catch (e) {
 *   if (isAbortError(e)) status = "cancelled";
 *   else if (e instanceof DownloadError) for (const f of e.failures) console.log(f.relDest, f.message);
 * }
 * ```
 */
import { formatBytes } from "../../util/bytes.js";

/** Some files could not be downloaded; `failures` lists them. The others were downloaded. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly failures: { relDest: string; url: string; message: string }[],
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** The run was cancelled through its signal; `.part` files and their range state are kept for the next run. */
export class DownloadAbortError extends Error {
  readonly code = "ABORT_ERR";
  constructor() {
    super("The download was cancelled; partial files are kept and the next run resumes them.");
    this.name = "AbortError";
  }
}

/** The files will not fit on the workspace's disk; nothing was downloaded. Example: `... needs 22.4 GB, 10.1 GB free`. */
export class NotEnoughSpaceError extends Error {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
    readonly dir: string,
  ) {
    super(
      `Not enough disk space on ${dir}: the download needs ${formatBytes(neededBytes)}, ` +
        `${formatBytes(freeBytes)} free. Free some space or choose fewer model sets.`,
    );
    this.name = "NotEnoughSpaceError";
  }
}

/** Whether `error` is the rejection of a cancelled run. Example: `job.status = isAbortError(e) ? "cancelled" : "failed"`. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/** A failure of one file that no retry can mend (4xx, checksum mismatch, a DEST outside the workspace). */
export class FileFailure extends Error {}

/** Start the file over at once without spending a retry (the `.part` did not match the server's file). */
export class StartOver extends Error {}
