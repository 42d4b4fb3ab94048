/**
 * Cancelling a job: a queued one is dropped before it runs; a running one gets the stop ladder (a script)
 * or an abort (a task), and the answer waits until it has ended. A second cancel of a running job waits
 * for the first.
 *
 * ```ts
 * const job = await cancel(context, id, "Razvan", running, requests);   // job.status: "cancelled"
 * ```
 */
import { notFound } from "../../util/errors.js";
import type { JobRecord } from "../history.js";
import type { JobRequest, Running } from "../types.js";
import type { JobContext } from "./context.js";
import { jobLadder } from "./process.js";

/** Cancels a queued job (dropped) or a running one (the stop ladder, or an abort for a task). */
export async function cancel(
  context: JobContext,
  id: string,
  by: string,
  running: Running | undefined,
  requests: Map<string, JobRequest>,
): Promise<JobRecord> {
  const job = context.history.get(id);
  if (!job) throw notFound(`There is no job ${id}.`);
  if (job.status === "queued") {
    job.cancelled_by = by;
    await context.note(id, `cancelled by ${by} before it ran`);
    context.finish(job, "cancelled", null, `Cancelled by ${by} before it ran.`);
    requests.delete(id);
    return job;
  }
  if (job.status !== "running" || !running || running.id !== id) return job;
  if (running.cancelledBy === null) {
    running.cancelledBy = by;
    job.cancelled_by = by;
    await context.note(id, `cancel asked by ${by}`);
    running.controller.abort(new Error(`cancelled by ${by}`));
    if (running.proc) {
      const result = await running.proc.stop();
      if (result.killed)
        await context.note(
          id,
          `the job did not stop within ${jobLadder(context.options.config).graceMs} ms: killed`,
        );
    }
  }
  await running.done;
  return job;
}
