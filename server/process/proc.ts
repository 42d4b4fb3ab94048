/**
 * What `/proc` says about processes: identity across restarts (pid, start ticks, boot id), process groups
 * and their members, descendants that left a group, and processes found by a marker in their environment.
 *
 * ```ts
 * const me = identify(pid);                 // { pid, pgid, startTicks, bootId }
 * isSameProcessAlive(me);                   // false once it ended or its pid was reused
 * groupsWithEnv("STUDIO_JOB_ID", id);       // the groups a crashed studio left behind
 * ```
 */
import { readFileSync, readdirSync } from "node:fs";

/** What identifies a process across a studio restart: its pid alone could be reused. */
export interface ProcessIdentity {
  pid: number;
  pgid: number;
  /** Start time in clock ticks since boot (/proc/{pid}/stat field 22). */
  startTicks: number | null;
  bootId: string | null;
}

interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  startTicks: number;
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

/** Every living (non-zombie) process: pid -> its stat. */
function livingProcesses(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.state !== "Z") stats.set(Number(entry), stat);
  }
  return stats;
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

/** Whether a pid is alive at all (any process, zombies excluded): for pids the studio itself just saw. */
export const isAlive = (pid: number) =>
  isSameProcessAlive({ pid, pgid: pid, startTicks: null, bootId: null });

/** The living (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return [];
  }
  return [...livingProcesses()].filter(([, stat]) => stat.pgrp === pgid).map(([pid]) => pid);
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

/** Signals each process that is still the one it was (a reused pid is left alone). */
export function signalEach(processes: readonly ProcessIdentity[], signal: NodeJS.Signals): void {
  for (const identity of processes) {
    if (!isSameProcessAlive(identity)) continue;
    try {
      process.kill(identity.pid, signal);
    } catch {
      // ended meanwhile
    }
  }
}

/** One variable of a living process's environment (as it was at its start), or null. */
export function envOf(pid: number, name: string): string | null {
  try {
    const prefix = `${name}=`;
    const entry = readFileSync(`/proc/${pid}/environ`, "latin1")
      .split("\0")
      .find((item) => item.startsWith(prefix));
    return entry === undefined ? null : entry.slice(prefix.length);
  } catch {
    return null;
  }
}

/**
 * The process groups (other than the studio's own) with a living member whose environment holds
 * `name=value`: how a tool's or job's processes are found when the studio died before it saved their pid.
 */
export function groupsWithEnv(name: string, value: string): number[] {
  const marker = `\0${name}=${value}\0`;
  const own = readStat(process.pid)?.pgrp;
  const groups = new Set<number>();
  for (const [pid, stat] of livingProcesses()) {
    if (stat.pgrp <= 1 || stat.pgrp === own) continue;
    let environ: string;
    try {
      environ = `\0${readFileSync(`/proc/${pid}/environ`, "latin1")}\0`;
    } catch {
      continue;
    }
    if (environ.includes(marker)) groups.add(stat.pgrp);
  }
  return [...groups];
}

/**
 * The living descendants of the group's members that left the group (a kernel or a worker started in a
 * session of its own): a stop must end them too, and they must be found before their parents die.
 */
export function escapedDescendants(pgid: number): ProcessIdentity[] {
  const stats = livingProcesses();
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
  const boot = bootId();
  return [...family].flatMap((pid) => {
    const stat = stats.get(pid)!;
    return stat.pgrp === pgid ? [] : [{ pid, pgid: stat.pgrp, startTicks: stat.startTicks, bootId: boot }];
  });
}
