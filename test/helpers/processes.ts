/**
 * Processes as a test sees them in /proc: which are alive, and which mention a text in their command line.
 *
 * ```ts
 * const kernels = processesWith(`kernel-${id}`);
 * expect(kernels.every((pid) => !alive(pid))).toBe(true);
 * ```
 */
import { readdirSync, readFileSync } from "node:fs";
import { isSameProcessAlive } from "../../server/process/proc.js";

/** Alive and not a zombie (an orphan's zombie may wait a while for its reaper). */
export const alive = (pid: number) => isSameProcessAlive({ pid, pgid: pid, startTicks: null, bootId: null });

/** Processes whose command line mentions `text`. */
export function processesWith(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
