/**
 * Process groups: spawn a script detached in its own group with its output appended to a log file, signal
 * the whole group, tell whether any member still lives, and stop it with a ladder (SIGTERM, then SIGKILL
 * after a grace). Used for tools and jobs alike.
 *
 * ```ts
 * const child = spawnGroup({ script, args: [], cwd, env, logFile });
 * const exit = await child.exited;                   // { exitCode, signal, seen: true }
 * await stopGroup(child.pgid, { graceMs: 10_000 });  // SIGTERM, wait, SIGKILL
 * ```
 */
import { closeSync, openSync, readFileSync, readdirSync } from "node:fs";
import { execa, type ResultPromise } from "execa";

export interface ExitInfo {
  /** The exit code, or null when the process died by a signal or its end was not seen. */
  exitCode: number | null;
  signal: string | null;
  /** False when the process was not ours to wait for (taken back after a studio restart). */
  seen: boolean;
}

/** What identifies a process across a studio restart: its pid alone could be reused. */
export interface ProcessIdentity {
  pid: number;
  pgid: number;
  /** Start time in clock ticks since boot (/proc/{pid}/stat field 22). */
  startTicks: number | null;
  bootId: string | null;
}

export interface GroupHandle extends ProcessIdentity {
  exited: Promise<ExitInfo>;
}

export interface SpawnOptions {
  /** A bash script, run as `bash script ...args`. */
  script: string;
  args?: readonly string[];
  cwd: string;
  /** The complete environment of the child (nothing is inherited). */
  env: Record<string, string>;
  /** The log file that gets stdout and stderr, appended to (a file, not a pipe: the child outlives us). */
  logFile: string;
}

let cachedBootId: string | null | undefined;
export function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  startTicks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      state: fields[0] ?? "?",
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      startTicks: Number(fields[19]),
    };
  } catch {
    return null;
  }
}

export function identify(pid: number, pgid = pid): ProcessIdentity {
  return { pid, pgid, startTicks: readStat(pid)?.startTicks ?? null, bootId: bootId() };
}

/** Whether `identity` is still the same living process (not a reused pid, not a zombie). */
export function isSameProcessAlive(identity: ProcessIdentity): boolean {
  const stat = readStat(identity.pid);
  if (!stat || stat.state === "Z") return false;
  if (identity.bootId && bootId() && identity.bootId !== bootId()) return false;
  return identity.startTicks === null || stat.startTicks === identity.startTicks;
}

/** The living (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return [];
  }
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== "Z") members.push(Number(entry));
  }
  return members;
}

/**
 * The process groups (other than the studio's own) with a living member whose environment holds
 * `name=value`: how a job's processes are found when the studio died before it saved their pid.
 */
export function groupsWithEnv(name: string, value: string): number[] {
  const marker = `${name}=${value}\0`;
  const own = readStat(process.pid)?.pgrp;
  const groups = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = `\0${readFileSync(`/proc/${entry}/environ`, "latin1")}\0`;
    } catch {
      continue;
    }
    if (!environ.includes(`\0${marker}`)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.state !== "Z" && stat.pgrp > 1 && stat.pgrp !== own) groups.add(stat.pgrp);
  }
  return [...groups];
}

export function isGroupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function spawnGroup(options: SpawnOptions): GroupHandle {
  // The child gets the log file itself (an O_APPEND descriptor), never a pipe through the studio: its
  // output must keep landing in the log after the studio stops or dies, and a write must never fail
  // with a broken pipe.
  const log = openSync(options.logFile, "a", 0o640);
  let child: ResultPromise;
  try {
    child = execa("bash", [options.script, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      detached: true,
      cleanup: false,
      reject: false,
      stdin: "ignore",
      // A file descriptor is handed to the child as it is (execa pipes nothing).
      stdout: log as 1,
      stderr: log as 2,
    });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  const exited: Promise<ExitInfo> = child.then(
    (result) =>
      result.failed && result.exitCode === undefined && !result.signal
        ? { exitCode: 127, signal: null, seen: true } // the spawn itself failed (bash missing, cwd gone)
        : {
            exitCode: result.signal ? null : (result.exitCode ?? null),
            signal: result.signal ?? null,
            seen: true,
          },
    () => ({ exitCode: 127, signal: null, seen: true }),
  );
  if (pid === undefined) {
    return { pid: -1, pgid: -1, startTicks: null, bootId: bootId(), exited };
  }
  child.unref();
  return { ...identify(pid, pid), exited };
}

/** Polls until the taken-back process `identity` is gone; resolves with an exit that was not seen. */
export function watchForeign(identity: ProcessIdentity, intervalMs = 500): Promise<ExitInfo> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!isSameProcessAlive(identity)) {
        clearInterval(timer);
        resolve({ exitCode: null, signal: null, seen: false });
      }
    }, intervalMs);
    timer.unref();
  });
}

export async function waitUntil(check: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return true;
}

export interface StopResult {
  /** Whether SIGKILL was needed. */
  killed: boolean;
  /** Whether every member of the group is gone. */
  gone: boolean;
}

/**
 * The living descendants of the group's members that left the group (a kernel or a worker started in a
 * session of its own): a stop must end them too, and they must be found before their parents die.
 */
export function escapedDescendants(pgid: number): ProcessIdentity[] {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.state !== "Z") stats.set(Number(entry), stat);
  }
  const family = new Set<number>([...stats].filter(([, stat]) => stat.pgrp === pgid).map(([pid]) => pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, stat] of stats) {
      if (!family.has(pid) && family.has(stat.ppid)) {
        family.add(pid);
        grew = true;
      }
    }
  }
  return [...family]
    .filter((pid) => stats.get(pid)!.pgrp !== pgid)
    .map((pid) => ({
      pid,
      pgid: stats.get(pid)!.pgrp,
      startTicks: stats.get(pid)!.startTicks,
      bootId: bootId(),
    }));
}

function signalEach(processes: readonly ProcessIdentity[], signal: NodeJS.Signals): void {
  for (const identity of processes) {
    if (!isSameProcessAlive(identity)) continue;
    try {
      process.kill(identity.pid, signal);
    } catch {
      // ended meanwhile
    }
  }
}

/**
 * The stop ladder: SIGTERM to the group (and to descendants that left it), SIGKILL after `graceMs`, then
 * wait a moment for the end.
 */
export async function stopGroup(
  pgid: number,
  options: { graceMs: number; killWaitMs?: number },
): Promise<StopResult> {
  if (pgid <= 1 || !isGroupAlive(pgid)) return { killed: false, gone: true };
  const deadline = Date.now() + options.graceMs;
  const escaped = escapedDescendants(pgid);
  const allGone = () => !isGroupAlive(pgid) && escaped.every((identity) => !isSameProcessAlive(identity));
  signalGroup(pgid, "SIGTERM");
  // A stopped (SIGSTOP) member would never see SIGTERM: wake it.
  signalGroup(pgid, "SIGCONT");
  // The group goes first: a server that ends its own children (kernels, workers) is given the chance.
  await waitUntil(() => !isGroupAlive(pgid), options.graceMs);
  signalEach(escaped, "SIGTERM");
  if (await waitUntil(allGone, Math.max(0, deadline - Date.now()))) return { killed: false, gone: true };
  signalGroup(pgid, "SIGKILL");
  signalEach(escaped, "SIGKILL");
  const gone = await waitUntil(allGone, options.killWaitMs ?? 5_000);
  return { killed: true, gone };
}
