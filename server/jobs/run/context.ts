/**
 * What the job runner's steps share: its settings, the job history, and the two things every step writes:
 * a studio line in a job's log, and a job's end in its record.
 *
 * ```ts
 * const context = new JobContext(options, history);
 * await context.note(job.job_id, "finished: succeeded");   // "[studio 2025-...] finished: succeeded"
 * context.finish(job, "succeeded", 0, null);               // ended_at set, process details cleared
 * ```
 */
import { studioNote } from "../../logs/note.js";
import type { JobStatus } from "../../api.js";
import type { LogFile } from "../../logs/logfile.js";
import { EMPTY_PROCESS } from "../../process/managed.js";
import { publicJob, type JobHistory, type JobRecord } from "../history.js";
import type { JobRunnerOptions } from "../types.js";

export class JobContext {
  constructor(
    readonly options: JobRunnerOptions,
    readonly history: JobHistory,
  ) {}

  log(id: string): LogFile {
    return this.history.log(id);
  }

  /** Writes a line of the studio's own into the job's log; a failed write is logged, never thrown. */
  async note(id: string, line: string): Promise<void> {
    try {
      await this.log(id).append(studioNote(line));
    } catch (error) {
      this.options.logger.warn({ err: error, job: id }, "could not write to a job log");
    }
  }

  /** Ends the job's record with `status`. */
  finish(job: JobRecord, status: JobStatus, exitCode: number | null, message: string | null): void {
    Object.assign(job, EMPTY_PROCESS, {
      status,
      exit_code: exitCode,
      message,
      ended_at: new Date().toISOString(),
    });
    this.options.logger.info({ job: publicJob(job) }, "job ended");
    this.history.changed();
  }
}
