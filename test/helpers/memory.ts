/**
 * A process's memory from /proc/{pid}/status: resident now (VmRSS) and its peak (VmHWM), which can be reset
 * (`clear_refs`), so a test or a benchmark sees the highest point of one transfer, not a sample.
 *
 * ```ts
 * resetPeak(pid);
 * await transfer();
 * peakBytes(pid) - before;   // the growth at its highest
 * ```
 */
import { readFileSync, writeFileSync } from "node:fs";

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  if (!match) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]) * 1024;
}

export const rssBytes = (pid: number) => statusKb(pid, "VmRSS");

/** The peak since the start or the last `resetPeak`. */
export const peakBytes = (pid: number) => statusKb(pid, "VmHWM");

/** Sets the peak to the resident size now (false where the kernel does not allow it). */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
