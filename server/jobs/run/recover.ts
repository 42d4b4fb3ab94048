/**
 * Recovery at start: no job outlives the studio. Whatever a job of this studio left running (found by the
 * tag its processes carry) is ended; a job that was running is marked failed, a queued one cancelled;
 * jobs.json is written and logs without a record are removed.
 *
 * ```ts
 * await recover(context);   // before the runner takes any job
 * ```
 */
import { EMPTY_PROCESS } from "../../process/managed.js";
import type { JobContext } from "./context.js";
import { jobProcess } from "./process.js";

export async function recover(context: JobContext): Promise<void> {
  const { history, options } = context;
  const now = new Date().toISOString();
  // No job outlives the studio: whatever a job of this studio left running (found by the tag its
  // processes carry, whether or not jobs.json had caught up with it) is ended first.
  const leftovers = jobProcess(options.config);
  if (leftovers.loadState(null)) {
    const { killed } = await leftovers.stop();
    options.logger.warn({ killed }, "processes of jobs from before the restart were ended");
  }
  for (const job of await history.read()) {
    if (job.status === "running") {
      Object.assign(job, EMPTY_PROCESS, {
        status: "failed",
        ended_at: now,
        message: "The studio stopped while this job ran; it was ended. Its log is kept; run it again.",
      });
      await context.note(job.job_id, "the studio restarted while this job ran: marked failed");
    } else if (job.status === "queued") {
      Object.assign(job, {
        status: "cancelled",
        ended_at: now,
        message: "The studio restarted before this job ran; ask for it again.",
      });
    }
  }
  await history.flush();
  await history.pruneOrphanLogs();
}
