/**
 * The job history: every job's record, kept in `STATE_DIR/jobs.json` (the newest `keep`, plus any still
 * pending), with one log file each (`STATE_DIR/logs/jobs/{id}.log`) that goes when its record goes.
 * Changes are written in batches (at most one write per `SAVE_DELAY_MS`), so a burst of jobs does not
 * rewrite the file at every step; a job that starts a process is written at once (see the runner).
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { PENDING_STATUSES, type Job } from "../api.js";
import type { LogFile, LogStore } from "../logs/logfile.js";
import { JsonFile } from "../state/atomic.js";
import { Saver } from "../state/saver.js";
import { JobsStateSchema, parseWith, type JobRecord, type JobsState } from "../state/schemas.js";

/** How long job changes are gathered before jobs.json is written. */
export const SAVE_DELAY_MS = 250;
/** How many ended jobs are kept by default. */
export const KEEP_JOBS = 200;

export type { JobRecord };

/** The job as the API shows it (without its process details). */
export function publicJob(job: JobRecord): Job {
  const { pid: _pid, pgid: _pgid, start_ticks: _ticks, boot_id: _boot, run_id: _run, ...shown } = job;
  return shown;
}

export const isPending = (job: Pick<JobRecord, "status">) => PENDING_STATUSES.includes(job.status);

export class JobHistory {
  private jobs: JobRecord[] = [];
  private readonly file: JsonFile<JobsState>;
  private readonly saver: Saver<JobsState>;
  warning: string | undefined;

  constructor(
    stateDir: string,
    private readonly logs: LogStore,
    private readonly logger: Logger,
    private readonly keep = KEEP_JOBS,
    saveDelayMs = SAVE_DELAY_MS,
  ) {
    this.file = new JsonFile(path.join(stateDir, "jobs.json"), { validate: parseWith(JobsStateSchema) });
    this.saver = new Saver(this.file, () => ({ version: 1, jobs: this.jobs }), {
      what: "jobs.json",
      logger,
      delayMs: saveDelayMs,
    });
  }

  async read(): Promise<JobRecord[]> {
    const { value, warning } = await this.file.read();
    this.warning = warning;
    if (warning) this.logger.warn(warning);
    this.jobs = value?.jobs ?? [];
    return this.jobs;
  }

  /** Oldest first. */
  get records(): readonly JobRecord[] {
    return this.jobs;
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.find((job) => job.job_id === id);
  }

  log(id: string): LogFile {
    return this.logs.get(path.join("jobs", `${id}.log`));
  }

  add(job: JobRecord): void {
    this.jobs.push(job);
    this.changed();
  }

  /** Notes a change: written with the next batch. */
  changed(): void {
    this.prune();
    this.saver.schedule();
  }

  /** Writes now (a job that spawns a process is saved before and after the spawn). */
  async flush(): Promise<void> {
    this.prune();
    this.saver.schedule();
    await this.saver.flush();
  }

  /** Drops the oldest ended jobs past `keep`, and their logs. */
  private prune(): void {
    const excess = this.jobs.length - this.keep;
    if (excess <= 0) return;
    const drop = new Set(this.jobs.filter((job) => !isPending(job)).slice(0, excess));
    if (drop.size === 0) return;
    this.jobs = this.jobs.filter((job) => !drop.has(job));
    for (const job of drop) void this.removeLog(job.job_id);
  }

  private async removeLog(id: string): Promise<void> {
    await this.logs
      .remove(path.join("jobs", `${id}.log`))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, job: id }, "could not remove an old job log"),
      );
  }

  /** Removes the logs of jobs no record names (left by an older studio). */
  async pruneOrphanLogs(): Promise<void> {
    const dir = path.join(this.logs.dir, "jobs");
    const known = new Set(this.jobs.map((job) => job.job_id));
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    await Promise.all(
      names
        .filter((name) => !known.has(name.split(".")[0] ?? ""))
        .map((name) => fs.rm(path.join(dir, name), { force: true }).catch(() => undefined)),
    );
  }

  async close(): Promise<void> {
    await this.saver.close();
  }
}
