/**
 * Admin jobs: one record each (kept in `STATE_DIR/jobs.json`, newest 200), one log file each
 * (`STATE_DIR/logs/jobs/{id}.log`), run one at a time in the order asked. A job is a bash script run as a
 * process group, or a task in the studio (downloads); both can be cancelled.
 *
 * ```ts
 * const jobs = new JobRunner({ config, logs, logger });
 * await jobs.load();  // a job that was running when the studio died is marked failed
 * const job = jobs.enqueue({ kind: "tool", target: "comfy-ui", action: "install", requestedBy: "Razvan",
 *   work: { script: "/repo/setup/comfy/install_comfy.sh" } });
 * ```
 */
import type { Job, JobKind, JobStatus } from "../api.js";
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { LogFile, LogStore } from "../logs/logfile.js";
import { JsonFile } from "../state/atomic.js";
import { jobsState } from "../state/shape.js";
import { childEnv } from "../tools/env.js";
import {
  groupsWithEnv,
  isSameProcessAlive,
  spawnGroup,
  stopGroup,
  type ExitInfo,
} from "../tools/processes.js";
import { notFound } from "../util/errors.js";

/** The environment variable that carries a job's id to its processes. */
export const JOB_MARKER = "STUDIO_JOB_ID";

export type { JobKind, JobStatus };

/** A job as kept in jobs.json: what the API shows, plus its process group while it runs. */
export interface JobRecord extends Job {
  /** The process group of a running script job (kept to end it after a studio crash). */
  pid: number | null;
  start_ticks: number | null;
  boot_id: string | null;
}

export interface TaskContext {
  log: (line: string) => void;
  signal: AbortSignal;
  job: Readonly<JobRecord>;
}

export type JobWork = { script: string; args?: string[] } | { task: (context: TaskContext) => Promise<void> };

export interface JobRequest {
  kind: JobKind;
  target: string;
  action: string;
  requestedBy: string;
  work: JobWork;
  /** Checked again just before the job runs; a string is the reason it must not run now. */
  precondition?: () => string | null;
}

export interface JobRunnerOptions {
  config: Config;
  logs: LogStore;
  logger: Logger;
  /** How many finished jobs are kept. */
  keep?: number;
}

/** The job as the API shows it (without its process details). */
export function publicJob(job: JobRecord): Job {
  const { pid: _pid, start_ticks: _ticks, boot_id: _boot, ...shown } = job;
  return shown;
}

interface Running {
  id: string;
  pgid: number | null;
  controller: AbortController;
  cancelledBy: string | null;
  done: Promise<void>;
}

export class JobRunner {
  private jobs: JobRecord[] = [];
  private readonly requests = new Map<string, JobRequest>();
  private running: Running | undefined;
  private readonly file: JsonFile<{ version: 1; jobs: JobRecord[] }>;
  private loadWarning: string | undefined;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.file = new JsonFile(path.join(options.config.stateDir, "jobs.json"), {
      validate: jobsState<{ version: 1; jobs: JobRecord[] }>,
    });
  }

  get warnings(): string[] {
    return this.loadWarning ? [this.loadWarning] : [];
  }

  /** Newest first. */
  list(): JobRecord[] {
    return [...this.jobs].reverse();
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.find((job) => job.job_id === id);
  }

  /** The job an admin most likely wants to watch: the running one, else the newest that ran. */
  newestAdminJob(): JobRecord | undefined {
    const running = this.jobs.find((job) => job.status === "running");
    if (running) return running;
    return this.list().find((job) => job.started_at !== null) ?? this.list()[0];
  }

  log(id: string): LogFile {
    return this.options.logs.get(path.join("jobs", `${id}.log`));
  }

  async load(): Promise<void> {
    const { value, warning } = await this.file.read();
    this.loadWarning = warning;
    if (warning) this.options.logger.warn(warning);
    const saved = Array.isArray(value?.jobs)
      ? value.jobs.filter((job) => job && typeof job.job_id === "string")
      : [];
    const now = new Date().toISOString();
    for (const job of saved) {
      if (job.status === "running") {
        // Without its start time a pid could belong to any process now: only a known process is ended.
        const groups = new Set(groupsWithEnv(JOB_MARKER, job.job_id));
        const pid = typeof job.pid === "number" && typeof job.start_ticks === "number" ? job.pid : null;
        if (
          pid !== null &&
          isSameProcessAlive({ pid, pgid: pid, startTicks: job.start_ticks, bootId: job.boot_id ?? null })
        ) {
          groups.add(pid);
        }
        await Promise.all(
          [...groups].map((group) => stopGroup(group, { graceMs: this.options.config.stopGraceMs })),
        );
        Object.assign(job, {
          status: "failed",
          ended_at: now,
          pid: null,
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
    this.jobs = saved;
    await this.save();
  }

  private save(): Promise<void> {
    if (this.closed) return this.saving;
    const keep = this.options.keep ?? 200;
    if (this.jobs.length > keep) {
      const active = (job: JobRecord) => job.status === "queued" || job.status === "running";
      const excess = this.jobs.length - keep;
      const drop = new Set(this.jobs.filter((job) => !active(job)).slice(0, excess));
      this.jobs = this.jobs.filter((job) => !drop.has(job));
    }
    this.saving = this.file.write({ version: 1, jobs: this.jobs }).catch((error: unknown) => {
      this.options.logger.error({ err: error }, "could not save jobs.json; the previous file is kept");
    });
    return this.saving;
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
      pid: null,
      start_ticks: null,
      boot_id: null,
    };
    this.jobs.push(job);
    this.requests.set(job.job_id, request);
    this.options.logger.info({ job: publicJob(job) }, "job queued");
    void this.note(job.job_id, `${request.action} ${request.target} asked by ${request.requestedBy}; queued`);
    void this.save();
    this.pump();
    return job;
  }

  /** Jobs still to run or running, for a target. */
  pending(target: string): JobRecord[] {
    return this.jobs.filter(
      (job) => job.target === target && (job.status === "queued" || job.status === "running"),
    );
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const next = this.jobs.find((job) => job.status === "queued");
    if (!next) return;
    const request = this.requests.get(next.job_id);
    const controller = new AbortController();
    const running: Running = {
      id: next.job_id,
      pgid: null,
      controller,
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
    Object.assign(job, {
      status,
      exit_code: exitCode,
      message,
      ended_at: new Date().toISOString(),
      pid: null,
    });
    this.options.logger.info({ job: publicJob(job) }, "job ended");
    void this.save();
  }

  private async execute(job: JobRecord, request: JobRequest | undefined, running: Running): Promise<void> {
    if (!request) {
      this.finish(job, "cancelled", null, "The studio lost this job's request; ask for it again.");
      return;
    }
    const refusal = request.precondition?.() ?? null;
    job.started_at = new Date().toISOString();
    if (refusal) {
      await this.note(job.job_id, `not run: ${refusal}`);
      this.finish(job, "failed", null, refusal);
      return;
    }
    job.status = "running";
    void this.save();
    await this.note(job.job_id, `${job.action} ${job.target} started (asked by ${job.requested_by})`);
    const log = this.log(job.job_id);
    await fs.mkdir(path.dirname(log.file), { recursive: true });

    if ("script" in request.work) {
      const { config } = this.options;
      const handle = spawnGroup({
        script: request.work.script,
        args: request.work.args,
        cwd: config.workspaceDir,
        // The job id marks its processes, so a studio that died before saving their pid still finds them.
        env: { ...childEnv(config, { user: job.requested_by }), [JOB_MARKER]: job.job_id },
        logFile: log.file,
      });
      Object.assign(job, { pid: handle.pid, start_ticks: handle.startTicks, boot_id: handle.bootId });
      running.pgid = handle.pgid;
      void this.save();
      const exit: ExitInfo = await handle.exited;
      if (running.cancelledBy !== null) {
        await this.note(job.job_id, `cancelled by ${running.cancelledBy}`);
        this.finish(job, "cancelled", exit.exitCode, `Cancelled by ${running.cancelledBy}.`);
        return;
      }
      const ok = exit.exitCode === 0;
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
      await this.note(job.job_id, ok ? "finished: succeeded" : `finished: failed (the script ${how})`);
      this.finish(job, ok ? "succeeded" : "failed", exit.exitCode, ok ? null : `The script ${how}.`);
      return;
    }

    const pending: Promise<void>[] = [];
    const write = (line: string) => {
      pending.push(log.append(line.endsWith("\n") ? line : `${line}\n`).catch(() => undefined));
    };
    try {
      await request.work.task({ log: write, signal: running.controller.signal, job });
      await Promise.all(pending);
      await this.note(job.job_id, "finished: succeeded");
      this.finish(job, "succeeded", 0, null);
    } catch (error) {
      await Promise.all(pending);
      if (running.cancelledBy !== null) {
        await this.note(job.job_id, `cancelled by ${running.cancelledBy}`);
        this.finish(job, "cancelled", null, `Cancelled by ${running.cancelledBy}.`);
      } else {
        const message = (error as Error).message;
        await this.note(job.job_id, `finished: failed (${message})`);
        this.finish(job, "failed", 1, message);
      }
    }
  }

  /** Cancels a queued job (dropped) or a running one (stop ladder / abort). */
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
      if (running.pgid !== null) {
        const result = await stopGroup(running.pgid, { graceMs: this.options.config.stopGraceMs });
        if (result.killed)
          await this.note(id, `the job did not stop within ${this.options.config.stopGraceMs} ms: killed`);
      }
    }
    await running.done;
    return job;
  }

  /** Writes what is pending, then stops taking jobs and saving (used at shutdown). */
  async close(): Promise<void> {
    await this.save();
    this.closed = true;
    await this.saving;
  }
}
