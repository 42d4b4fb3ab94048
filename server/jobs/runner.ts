/**
 * Admin jobs, run one at a time in the order asked. A job is a bash script run as a managed process group
 * (process/managed.ts, marked with STUDIO_JOB_ID), or a task in the studio (downloads); both can be
 * cancelled. Records and logs are kept by the job history (jobs/history.ts). This module is the queue;
 * one job's run, a cancel and the recovery after a restart are the modules of jobs/run/.
 *
 * ```ts
 * const jobs = new JobRunner({ config, logs, logger });
 * await jobs.load();  // a job that was running when the studio died is ended and marked failed
 * const job = jobs.enqueue({ kind: "tool", target: "comfy-ui", action: "install", requestedBy: "Razvan",
 *   work: { script: "/repo/setup/comfy/install_comfy.sh" } });
 * ```
 */
import { randomUUID } from "node:crypto";
import type { JobKind, JobStatus } from "../api.js";
import type { LogFile } from "../logs/logfile.js";
import { EMPTY_PROCESS } from "../process/managed.js";
import { isPending, JobHistory, publicJob, type JobRecord } from "./history.js";
import { cancel } from "./run/cancel.js";
import { JobContext } from "./run/context.js";
import { execute } from "./run/execute.js";
import { recover } from "./run/recover.js";
import type { JobRequest, JobRunnerOptions, JobWork, Running, TaskContext } from "./types.js";

export { JOB_MARKER, JOBS_TAG } from "./run/process.js";
export { publicJob, type JobKind, type JobRecord, type JobStatus };
export type { JobRequest, JobRunnerOptions, JobWork, TaskContext };

export class JobRunner {
  private readonly history: JobHistory;
  private readonly context: JobContext;
  private readonly requests = new Map<string, JobRequest>();
  private running: Running | undefined;
  private closed = false;

  constructor(options: JobRunnerOptions) {
    this.history = new JobHistory(
      options.config.stateDir,
      options.logs,
      options.logger,
      options.keep,
      options.saveDelayMs,
    );
    this.context = new JobContext(options, this.history);
  }

  get warnings(): string[] {
    return this.history.warning ? [this.history.warning] : [];
  }

  /** Newest first. */
  list(): JobRecord[] {
    return [...this.history.records].reverse();
  }

  get(id: string): JobRecord | undefined {
    return this.history.get(id);
  }

  /** The job an admin most likely wants to watch: the running one, else the newest that ran. */
  newestAdminJob(): JobRecord | undefined {
    const running = this.history.records.find((job) => job.status === "running");
    if (running) return running;
    return this.list().find((job) => job.started_at !== null) ?? this.list()[0];
  }

  log(id: string): LogFile {
    return this.history.log(id);
  }

  /** Jobs still to run or running, for a target. */
  pending(target: string): JobRecord[] {
    return this.history.records.filter((job) => job.target === target && isPending(job));
  }

  async load(): Promise<void> {
    await recover(this.context);
  }

  /** Adds a job to the queue; it runs when every job before it has ended. */
  enqueue(request: JobRequest): JobRecord {
    const job: JobRecord = {
      ...EMPTY_PROCESS,
      job_id: randomUUID(),
      kind: request.kind,
      target: request.target,
      action: request.action,
      status: "queued",
      exit_code: null,
      requested_by: request.requestedBy,
      created_at: new Date().toISOString(),
      started_at: null,
      ended_at: null,
      message: null,
      cancelled_by: null,
    };
    this.history.add(job);
    this.requests.set(job.job_id, request);
    this.context.options.logger.info({ job: publicJob(job) }, "job queued");
    void this.context.note(
      job.job_id,
      `${request.action} ${request.target} asked by ${request.requestedBy}; queued`,
    );
    this.pump();
    return job;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const next = this.history.records.find((job) => job.status === "queued");
    if (!next) return;
    const request = this.requests.get(next.job_id);
    const running: Running = {
      id: next.job_id,
      proc: null,
      controller: new AbortController(),
      cancelledBy: null,
      done: Promise.resolve(),
    };
    this.running = running;
    running.done = execute(this.context, next, request, running)
      .catch((error: unknown) => {
        this.context.options.logger.error({ err: error, job: next.job_id }, "job runner fault");
        this.context.finish(
          next,
          "failed",
          null,
          `The studio hit an error running this job: ${(error as Error).message}`,
        );
      })
      .finally(() => {
        this.running = undefined;
        this.requests.delete(next.job_id);
        this.pump();
      });
  }

  /** Cancels a queued job (dropped) or a running one (the stop ladder, or an abort for a task). */
  async cancel(id: string, by: string): Promise<JobRecord> {
    return await cancel(this.context, id, by, this.running, this.requests);
  }

  /** Writes what is pending, then stops taking jobs and saving (used at shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await this.history.close();
  }
}
