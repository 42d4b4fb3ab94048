/**
 * The end of a run: the tally it returns, or the DownloadError naming every file that failed.
 *
 * ```ts
 * return summarize(tasks, ctx); // throws DownloadError when a file failed
 * ```
 */
import { formatBytes } from "../../util/bytes.js";
import type { RunContext } from "./context.js";
import { DownloadError } from "./errors.js";
import type { Task } from "./plan.js";
import type { DownloadSummary } from "./types.js";

const files = (n: number): string => `${n} file${n === 1 ? "" : "s"}`;

export function summarize(tasks: readonly Task[], ctx: RunContext): DownloadSummary {
  const failed = tasks.filter((t) => t.state === "failed");
  const downloaded = tasks.filter((t) => t.state === "done").length;
  const skipped = tasks.filter((t) => t.state === "skipped").length;
  const bytesReceived = tasks.reduce((sum, t) => sum + t.received, 0);
  if (failed.length > 0) {
    const lines = failed.map((t) => `  ${t.relDest}: ${t.error ?? "failed"}`);
    const message = ctx.redact(
      `${failed.length} of ${files(tasks.length)} failed to download` +
        (downloaded + skipped > 0 ? ` (${downloaded + skipped} complete)` : "") +
        `:\n${lines.join("\n")}`,
    );
    ctx.log(message);
    throw new DownloadError(
      message,
      failed.map((t) => ({ relDest: t.relDest, url: t.url, message: t.error ?? "failed" })),
    );
  }
  ctx.log(
    `All ${files(tasks.length)} complete: ${downloaded} downloaded (${formatBytes(bytesReceived)}), ${skipped} already there.`,
  );
  return { files: tasks.length, downloaded, skipped, bytesReceived };
}
