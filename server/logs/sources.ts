/**
 * Log sources by name: `{tool_id}` (a tool's first instance), `{tool_id}@{n}` (instance n), `job:{id}`,
 * or `admin` (the newest admin job). Any other name is a 404 that says which names exist.
 */
import type { JobRunner } from "../jobs/runner.js";
import type { ToolManager } from "../tools/manager.js";
import { notFound } from "../util/errors.js";
import type { LogFile } from "./logfile.js";

export interface LogSource {
  log: LogFile;
  /** Whether its writer still runs (a tool's process, or a running job). */
  running: () => boolean;
  job_id?: string;
}

export function resolveSource(tools: ToolManager, jobs: JobRunner, source: string): LogSource {
  if (source === "admin" || source.startsWith("job:")) {
    const job = source === "admin" ? jobs.newestAdminJob() : jobs.get(source.slice(4));
    if (!job) {
      if (source === "admin") throw notFound("No admin job has run yet.");
      throw notFound(`There is no job "${source.slice(4, 104)}".`);
    }
    return { log: jobs.log(job.job_id), running: () => job.status === "running", job_id: job.job_id };
  }
  const match = /^([a-z-]+)(?:@(\d{1,2}))?$/.exec(source);
  const index = Number(match?.[2] ?? 0);
  const instance = match ? tools.instances(match[1]!)[index] : undefined;
  const log = match ? tools.log(match[1]!, index) : undefined;
  if (!instance || !log) {
    throw notFound(`Unknown log source "${source.slice(0, 100)}": use a tool id, job:{id} or admin.`);
  }
  return { log, running: () => instance.isActive };
}
