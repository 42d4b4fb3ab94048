/**
 * A download run in a thread of its own (`thread/entry.ts`): the studio's event loop only relays log lines
 * and progress, and the thread writes with blocking writes straight from its connections' buffers, which
 * costs about half the CPU of writing from the studio's loop. The promise settles as `downloadSets` does:
 * the summary, or the same error classes (a DownloadError with its failures, an AbortError, ...).
 *
 * ```ts
 * const summary = await downloadSetsInThread(sets, { workspaceDir, stateDir, tokens, signal, log, onProgress });
 * ```
 */
import { Worker } from "node:worker_threads";
import { builtModule } from "../../config/root.js";
import {
  DownloadAbortError,
  type DownloadGroup,
  type DownloadOptions,
  type DownloadSummary,
} from "../downloader.js";
import { fromPlain, type FromThread, type ThreadData, type ToThread } from "./protocol.js";

/** How long a cancelled run may take to close its files before its thread is ended. */
export const ABORT_WAIT_MS = 5000;

export type InThreadOptions = Omit<DownloadOptions, "freeSpace" | "writes">;

/** A broken log or progress sink must not stop the download (nor, thrown from a message, the studio). */
function quietly(report: () => void): void {
  try {
    report();
  } catch {
    // the run goes on
  }
}

export async function downloadSetsInThread(
  sets: readonly DownloadGroup[],
  options: InThreadOptions,
): Promise<DownloadSummary> {
  const { signal, log, onProgress, ...plain } = options;
  if (signal.aborted) throw new DownloadAbortError();
  const workerData: ThreadData = { sets, options: plain };
  // No inherited Node flags: the thread loads only built JavaScript (a `--conditions` flag would lead it to sources).
  const worker = new Worker(builtModule(import.meta.url, "./entry.js"), { workerData, execArgv: [] });
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    worker.postMessage({ type: "abort" } satisfies ToThread);
    timer = setTimeout(() => void worker.terminate(), ABORT_WAIT_MS);
    timer.unref();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await new Promise<DownloadSummary>((resolve, reject) => {
      worker.on("message", (message: FromThread) => {
        if (message.type === "log") quietly(() => log(message.line));
        else if (message.type === "progress") quietly(() => onProgress?.(message.progress));
        else if (message.type === "done") resolve(message.summary);
        else reject(fromPlain(message.error));
      });
      worker.once("error", (error) => reject(new Error(`The download thread failed: ${error.message}`)));
      worker.once("exit", (code) => {
        if (signal.aborted) reject(new DownloadAbortError());
        else reject(new Error(`The download thread ended (exit code ${code}) before the run did.`));
      });
    });
  } finally {
    signal.removeEventListener("abort", onAbort);
    clearTimeout(timer);
    // The run has ended and closed its files; nothing the thread still holds is worth waiting for.
    await worker.terminate();
  }
}
