/**
 * Processes in the setup tests: alive checks, children, pid files as the start scripts write them, and tools
 * started through their start scripts.
 */
import { readFileSync, readdirSync } from "node:fs";
import type { ResultPromise } from "execa";
import { expect } from "vitest";
import { isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import type { Sandbox } from "./sandbox.js";

/** SIGKILL to the process group `pid` leads (a child spawned `detached`), if it is still there. */
export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Whether a process is alive: it exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    // The state letter follows the command name, which is in parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Each live process's parent, by pid. */
function parents(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      table.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** The first child process of `pid`, or 0 when it has none. */
export function childOf(pid: number): number {
  for (const [child, parent] of parents()) if (parent === pid) return child;
  return 0;
}

/** Every child, grandchild, ... of `pid`. */
function descendantsOf(pid: number): number[] {
  const table = parents();
  const found: number[] = [];
  for (const [child] of table) {
    for (let up = table.get(child); up !== undefined && up > 1; up = table.get(up)) {
      if (up === pid) {
        found.push(child);
        break;
      }
    }
  }
  return found;
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/{pid}/stat). */
export function startTicks(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}

/** A pid file as the start scripts write it, naming `pid` as `tool` on `port` (under the box's state folder). */
export async function writePidFile(box: Sandbox, tool: string, port: number, pid: number): Promise<string> {
  const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  return await box.write(`.comfystudio/run/${tool}.${port}.pid`, `${pid} ${startTicks(pid)} ${bootId}\n`);
}

/**
 * Starts a tool through its start script, as the studio does, and waits until it listens on `port`.
 * Wrapped in an object: the child is a promise of its result, which an `await` would wait for.
 */
export async function startListening(
  box: Sandbox,
  script: string,
  port: number,
  extra: Record<string, string | undefined> = {},
): Promise<{ child: ResultPromise }> {
  const child = box.spawn(script, { PORT: String(port), ...extra });
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${script} exited: ${child.exitCode}`);
        return await isListening(port);
      },
      { timeoutMs: 20_000, what: `${script} to listen on ${port}` },
    );
  } catch (error) {
    await endChild(child);
    throw error;
  }
  return { child };
}

/**
 * Ends a child started with startListening and everything it started (SIGKILL), and waits for it. Its
 * descendants go first: one left holding the child's output pipes would keep the wait going for minutes
 * and hide a failed assertion behind the test's timeout.
 */
export async function endChild(child: ResultPromise): Promise<void> {
  for (const pid of child.pid ? descendantsOf(child.pid) : []) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  child.kill("SIGKILL");
  await child.catch(() => undefined);
}

/** The pid of a live process whose command line starts with `prefix`, or 0. */
export function findProcess(prefix: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.startsWith(prefix) && isAlive(Number(entry))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return 0;
}

/** Runs the kill script `kill` and expects process `pid` (not started by the studio) named and left running. */
export async function expectLeftRunning(box: Sandbox, kill: string, pid: number): Promise<void> {
  const result = await box.run(kill);
  expect(result.exitCode, result.output).toBe(0);
  expect(result.output).toContain(`left running, not started by the studio: process ${pid}`);
  expect(isAlive(pid)).toBe(true);
}
