/**
 * Job history writes: 200 quick admin jobs, and what the studio writes for them (bytes passed to write(2),
 * from /proc/self/io), with jobs.json written at every change (the previous way) against batched writes,
 * interleaved over several rounds. Also: the history stays bounded, and job logs go with their records.
 *
 * npm run bench -- jobs
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { loadConfig } from "../server/config.js";
import { JobRunner } from "../server/jobs/runner.js";
import { LogStore } from "../server/logs/logfile.js";
import { FIXTURE_REPO, makeDirs, removeDirs } from "../test/helpers/studio.js";
import { waitFor } from "../test/helpers/wait.js";
import { goal, line, spread } from "./stats.js";

const ROUNDS = 5;
const JOBS = 200;

function written(): number {
  const io = readFileSync("/proc/self/io", "utf8");
  return Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? 0);
}

async function round(
  saveDelayMs: number,
  jobs = JOBS,
): Promise<{ bytes: number; logs: number; kept: number; size: number }> {
  const dirs = await makeDirs();
  try {
    const config = loadConfig(dirs.env);
    const logs = new LogStore(path.join(config.stateDir, "logs"), config.logMaxBytes);
    const runner = new JobRunner({ config, logs, logger: pino({ level: "silent" }), saveDelayMs });
    await runner.load();
    const before = written();
    const script = path.join(FIXTURE_REPO, "setup", "comfy", "update_comfy.sh");
    const ids = Array.from(
      { length: jobs },
      () =>
        runner.enqueue({
          kind: "tool",
          target: "comfy-ui",
          action: "update",
          requestedBy: "bench",
          work: { script },
        }).job_id,
    );
    await waitFor(() => runner.get(ids.at(-1)!)?.status === "succeeded", {
      timeoutMs: 300_000,
      intervalMs: 20,
      what: "the last job",
    });
    await runner.close();
    const bytes = written() - before;
    const logDir = path.join(config.stateDir, "logs", "jobs");
    return {
      bytes,
      logs: readdirSync(logDir).filter((name) => name.endsWith(".log")).length,
      kept: runner.list().length,
      size: readFileSync(path.join(config.stateDir, "jobs.json")).length,
    };
  } finally {
    removeDirs(dirs);
  }
}

export async function run(): Promise<void> {
  const old: number[] = [];
  const now: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    old.push((await round(0)).bytes);
    now.push((await round(250)).bytes);
  }
  const mb = (value: number) => `${(value / 1e6).toFixed(1)} MB`;
  line(`rounds (interleaved), ${JOBS} jobs each`, String(ROUNDS));
  line("written, jobs.json at every change (previous way)", spread(old, mb));
  const median = [...now].sort((a, b) => a - b)[Math.floor(now.length / 2)]!;
  goal("written, batched (every 250 ms)", spread(now, mb), "<= 20 MB", median <= 20e6);
  const bounded = await round(250, 260);
  goal(
    "after 260 jobs: records kept / job logs kept",
    `${bounded.kept} / ${bounded.logs}`,
    "200 / 200",
    bounded.kept === 200 && bounded.logs === 200,
  );
  line("jobs.json after 260 jobs", `${(bounded.size / 1e3).toFixed(1)} kB`);
}
