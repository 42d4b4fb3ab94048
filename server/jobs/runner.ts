/**
 * Admin jobs, run one at a time in the order asked. A job is a bash script run as a managed process group
 * (process/managed.ts, marked with STUDIO_JOB_ID), or a task in the studio (downloads); both can be
 * cancelled. Records and logs are kept by the job history (jobs/history.ts).
 *
 * ```ts
 * const jobs = new JobRunner({ config, logs, logger });
 * await jobs.load();  // a job that was running when the studio died is ended and marked failed
 * const job = jobs.enqueue({ kind: "tool", target: "comfy-ui", action: "install", requestedBy: "Razvan",
 *   work: { script: "/repo/setup/comfy/install_comfy.sh" } });
 * ```
 */
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { JobKind, JobStatus } from "../api.js";
import type { LogFile } from "../logs/logfile.js";
import { ladderSettings } from "../process/ladder.js";
import { EMPTY_PROCESS, ManagedProcess } from "../process/managed.js";
import { childEnv } from "../tools/env.js";
import { notFound } from "../util/errors.js";
import { isPending, JobHistory, publicJob, type JobRecord } from "./history.js";
import { failureReason } from "./reason.js";
import type { JobRequest, JobRunnerOptions, JobWork, Running, TaskContext } from "./types.js";

/** The environment variable that carries a job's id to its processes. */
export const JOB_MARKER = "STUDIO_JOB_ID";
/** The environment variable every job process of a studio carries: its state folder. */
export const JOBS_TAG = "STUDIO_JOBS_OF";

export { publicJob, type JobKind, type JobRecord, type JobStatus };
export type { JobRequest, JobRunnerOptions, JobWork, TaskContext };

export class JobRunner {
  private readonly history: JobHistory;
  private readonly requests = new Map<string, JobRequest>();
  private running: Running | undefined;
  private closed = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.history = new JobHistory(
      options.config.stateDir,
      options.logs,
      options.logger,
      options.keep,
      options.saveDelayMs,
    );
  }

  private get ladder() {
    return ladderSettings(this.options.config.stopGraceMs);
  }

  private newProcess(): ManagedProcess {
    return new ManagedProcess({
      marker: JOB_MARKER,
      ladder: this.ladder,
      foreignPollMs: 500,
      // Every job of this studio (its state folder) carries it.
      tag: { name: JOBS_TAG, value: this.options.config.stateDir },
    });
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
    const now = new Date().toISOString();
    // No job outlives the studio: whatever a job of this studio left running (found by the tag its
    // processes carry, whether or not jobs.json had caught up with it) is ended first.
    const leftovers = this.newProcess();
    if (leftovers.loadState(null)) {
      const { killed } = await leftovers.stop();
      this.options.logger.warn({ killed }, "processes of jobs from before the restart were ended");
    }
    for (const job of await this.history.read()) {
      if (job.status === "running") {
        Object.assign(job, EMPTY_PROCESS, {
          status: "failed",
          ended_at: now,
          message: "The studio stopped while this job ran; it was ended. Its log is kept; run it again.",
        });
        await this.note(job.job_id, "the studio restarted while this job ran: marked failed");
      } else if (job.status === "queued") {
        Object.assign(job, {
          status: "cancelled",
          ended_at: now,
          message: "The studio restarted before this job ran; ask for it again.",
        });
      }
    }
    await this.history.flush();
    await this.history.pruneOrphanLogs();
  }

  private async note(id: string, line: string): Promise<void> {
    try {
      await this.log(id).append(`[studio ${new Date().toISOString()}] ${line}\n`);
    } catch (error) {
      this.options.logger.warn({ err: error, job: id }, "could not write to a job log");
    }
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
    this.options.logger.info({ job: publicJob(job) }, "job queued");
    void this.note(job.job_id, `${request.action} ${request.target} asked by ${request.requestedBy}; queued`);
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
    running.done = this.execute(next, request, running)
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, job: next.job_id }, "job runner fault");
        this.finish(
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

  private finish(job: JobRecord, status: JobStatus, exitCode: number | null, message: string | null): void {
    Object.assign(job, EMPTY_PROCESS, {
      status,
      exit_code: exitCode,
      message,
      ended_at: new Date().toISOString(),
    });
    this.options.logger.info({ job: publicJob(job) }, "job ended");
    this.history.changed();
  }

  private async execute(job: JobRecord, request: JobRequest | undefined, running: Running): Promise<void> {
    if (!request)
      return this.finish(job, "cancelled", null, "The studio lost this job's request; ask for it again.");
    const refusal = request.precondition?.() ?? null;
    job.started_at = new Date().toISOString();
    if (refusal) {
      await this.note(job.job_id, `not run: ${refusal}`);
      return this.finish(job, "failed", null, refusal);
    }
    job.status = "running";
    this.history.changed();
    await this.note(job.job_id, `${job.action} ${job.target} started (asked by ${job.requested_by})`);
    const log = this.log(job.job_id);
    await fs.mkdir(path.dirname(log.file), { recursive: true });
    if ("script" in request.work) await this.runScript(job, request.work, running, log);
    else await this.runTask(job, request.work.task, running, log);
  }

  private async runScript(
    job: JobRecord,
    work: { script: string; args?: string[] },
    running: Running,
    log: LogFile,
  ): Promise<void> {
    const { config } = this.options;
    const proc = this.newProcess();
    running.proc = proc;
    // The job id and the studio's tag mark its processes: a studio that dies at any moment finds them at its
    // next start without jobs.json having to be written first.
    Object.assign(job, proc.prepare(job.job_id));
    if (running.cancelledBy !== null) return this.cancelled(job, running, null);
    Object.assign(
      job,
      proc.start({
        script: work.script,
        args: work.args,
        cwd: config.workspaceDir,
        env: childEnv(config, { user: job.requested_by }),
        logFile: log.file,
      }),
    );
    this.history.changed();
    const exit = await proc.exited!;
    if (running.cancelledBy !== null) return this.cancelled(job, running, exit.exitCode);
    if (exit.exitCode === 0) {
      await this.note(job.job_id, "finished: succeeded");
      return this.finish(job, "succeeded", 0, null);
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    const reason = await failureReason(log);
    await this.note(job.job_id, `finished: failed (the script ${how})`);
    this.finish(
      job,
      "failed",
      exit.exitCode,
      reason ? `${reason} (the script ${how})` : `The script ${how}.`,
    );
  }

  private async runTask(
    job: JobRecord,
    task: (context: TaskContext) => Promise<void>,
    running: Running,
    log: LogFile,
  ): Promise<void> {
    const pending: Promise<void>[] = [];
    const write = (line: string) => {
      pending.push(log.append(line.endsWith("\n") ? line : `${line}\n`).catch(() => undefined));
    };
    try {
      await task({ log: write, signal: running.controller.signal, job });
      await Promise.all(pending);
      await this.note(job.job_id, "finished: succeeded");
      this.finish(job, "succeeded", 0, null);
    } catch (error) {
      await Promise.all(pending);
      if (running.cancelledBy !== null) return this.cancelled(job, running, null);
      const message = (error as Error).message;
      await this.note(job.job_id, `finished: failed (${message})`);
      this.finish(job, "failed", 1, message);
    }
  }

  private async cancelled(job: JobRecord, running: Running, exitCode: number | null): Promise<void> {
    await this.note(job.job_id, `cancelled by ${running.cancelledBy}`);
    this.finish(job, "cancelled", exitCode, `Cancelled by ${running.cancelledBy}.`);
  }

  /** Cancels a queued job (dropped) or a running one (the stop ladder, or an abort for a task). */
  async cancel(id: string, by: string): Promise<JobRecord> {
    const job = this.get(id);
    if (!job) throw notFound(`There is no job ${id}.`);
    if (job.status === "queued") {
      job.cancelled_by = by;
      await this.note(id, `cancelled by ${by} before it ran`);
      this.finish(job, "cancelled", null, `Cancelled by ${by} before it ran.`);
      this.requests.delete(id);
      return job;
    }
    const running = this.running;
    if (job.status !== "running" || !running || running.id !== id) return job;
    if (running.cancelledBy === null) {
      running.cancelledBy = by;
      job.cancelled_by = by;
      await this.note(id, `cancel asked by ${by}`);
      running.controller.abort(new Error(`cancelled by ${by}`));
      if (running.proc) {
        const result = await running.proc.stop();
        if (result.killed)
          await this.note(id, `the job did not stop within ${this.ladder.graceMs} ms: killed`);
      }
    }
    await running.done;
    return job;
  }

  /** Writes what is pending, then stops taking jobs and saving (used at shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await this.history.close();
  }
}
