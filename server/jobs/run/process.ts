/**
 * A job's managed process (process/managed.ts): marked with its job id (STUDIO_JOB_ID) and tagged with the
 * studio's state folder (STUDIO_JOBS_OF), so a studio that dies at any moment finds every process of its
 * jobs at its next start; stopped with the studio's stop ladder.
 *
 * ```ts
 * const proc = jobProcess(config);
 * proc.prepare(job.job_id);              // the marker's value, set before the spawn
 * jobLadder(config).graceMs;             // STOP_GRACE_MS
 * ```
 */
import type { Config } from "../../config.js";
import { ladderSettings, type StopLadder } from "../../process/ladder.js";
import { ManagedProcess } from "../../process/managed.js";

/** The environment variable that carries a job's id to its processes. */
export const JOB_MARKER = "STUDIO_JOB_ID";
/** The environment variable every job process of a studio carries: its state folder. */
export const JOBS_TAG = "STUDIO_JOBS_OF";

export function jobLadder(config: Config): StopLadder {
  return ladderSettings(config.stopGraceMs);
}

export function jobProcess(config: Config): ManagedProcess {
  return new ManagedProcess({
    marker: JOB_MARKER,
    ladder: jobLadder(config),
    foreignPollMs: 500,
    // Every job of this studio (its state folder) carries it.
    tag: { name: JOBS_TAG, value: config.stateDir },
  });
}
