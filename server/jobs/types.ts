/** What a job is asked with: its work (a script, or a task in the studio), and the runner's settings. */
import type { Logger } from "pino";
import type { JobKind } from "../api.js";
import type { Config } from "../config.js";
import type { LogStore } from "../logs/logfile.js";
import type { ManagedProcess } from "../process/managed.js";
import type { JobRecord } from "./history.js";

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
  /** How many ended jobs are kept. */
  keep?: number;
  /** How long job changes are gathered before jobs.json is written (see jobs/history.ts). */
  saveDelayMs?: number;
}

/** The job the runner is running now. */
export interface Running {
  id: string;
  proc: ManagedProcess | null;
  controller: AbortController;
  cancelledBy: string | null;
  done: Promise<void>;
}
