/**
 * One job's run: its precondition checked again, then its script as a managed process group (marked
 * before the spawn) or its task in the studio (with an abort signal); the end goes into its record, a
 * failure with the reason its log gives (jobs/reason.ts), a cancel with who asked.
 *
 * ```ts
 * await execute(context, job, request, running);   // job.status: "succeeded" | "failed" | "cancelled"
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { LogFile } from "../../logs/logfile.js";
import { childEnv } from "../../tools/env.js";
import type { JobRecord } from "../history.js";
import { failureReason } from "../reason.js";
import type { JobRequest, Running, TaskContext } from "../types.js";
import type { JobContext } from "./context.js";
import { jobProcess } from "./process.js";

export async function execute(
  context: JobContext,
  job: JobRecord,
  request: JobRequest | undefined,
  running: Running,
): Promise<void> {
  if (!request)
    return context.finish(job, "cancelled", null, "The studio lost this job's request; ask for it again.");
  const refusal = request.precondition?.() ?? null;
  job.started_at = new Date().toISOString();
  if (refusal) {
    await context.note(job.job_id, `not run: ${refusal}`);
    return context.finish(job, "failed", null, refusal);
  }
  job.status = "running";
  context.history.changed();
  await context.note(job.job_id, `${job.action} ${job.target} started (asked by ${job.requested_by})`);
  const log = context.log(job.job_id);
  await fs.mkdir(path.dirname(log.file), { recursive: true });
  if ("script" in request.work) await runScript(context, job, request.work, running, log);
  else await runTask(context, job, request.work.task, running, log);
}

async function runScript(
  context: JobContext,
  job: JobRecord,
  work: { script: string; args?: string[] },
  running: Running,
  log: LogFile,
): Promise<void> {
  const { config } = context.options;
  const proc = jobProcess(config);
  running.proc = proc;
  // The job id and the studio's tag mark its processes: a studio that dies at any moment finds them at its
  // next start without jobs.json having to be written first.
  Object.assign(job, proc.prepare(job.job_id));
  if (running.cancelledBy !== null) return cancelled(context, job, running, null);
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
  context.history.changed();
  const exit = await proc.exited!;
  if (running.cancelledBy !== null) return cancelled(context, job, running, exit.exitCode);
  if (exit.exitCode === 0) {
    await context.note(job.job_id, "finished: succeeded");
    return context.finish(job, "succeeded", 0, null);
  }
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  const reason = await failureReason(log);
  await context.note(job.job_id, `finished: failed (the script ${how})`);
  context.finish(
    job,
    "failed",
    exit.exitCode,
    reason ? `${reason} (the script ${how})` : `The script ${how}.`,
  );
}

async function runTask(
  context: JobContext,
  job: JobRecord,
  task: (taskContext: TaskContext) => Promise<void>,
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
    await context.note(job.job_id, "finished: succeeded");
    context.finish(job, "succeeded", 0, null);
  } catch (error) {
    await Promise.all(pending);
    if (running.cancelledBy !== null) return cancelled(context, job, running, null);
    const message = (error as Error).message;
    await context.note(job.job_id, `finished: failed (${message})`);
    context.finish(job, "failed", 1, message);
  }
}

async function cancelled(
  context: JobContext,
  job: JobRecord,
  running: Running,
  exitCode: number | null,
): Promise<void> {
  await context.note(job.job_id, `cancelled by ${running.cancelledBy}`);
  context.finish(job, "cancelled", exitCode, `Cancelled by ${running.cancelledBy}.`);
}
