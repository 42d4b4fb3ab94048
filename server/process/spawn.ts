/**
 * Spawning a script as a process group of its own, its output appended straight to a log file.
 *
 * ```ts
 * const child = spawnGroup({ script, args: [], cwd, env, logFile });
 * const exit = await child.exited;   // { exitCode, signal, seen: true }
 * ```
 */
import { closeSync, openSync } from "node:fs";
import { execa, type ResultPromise } from "execa";
import { bootId, identify, isSameProcessAlive, type ProcessIdentity } from "./proc.js";

export interface ExitInfo {
  /** The exit code, or null when the process died by a signal or its end was not seen. */
  exitCode: number | null;
  signal: string | null;
  /** False when the process was not ours to wait for (taken back after a studio restart). */
  seen: boolean;
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
  if (pid === undefined) return { pid: -1, pgid: -1, startTicks: null, bootId: bootId(), exited };
  child.unref();
  return { ...identify(pid, pid), exited };
}

/** Polls until `alive()` turns false (a taken-back process is not our child); its end is not seen. */
export function watchForeign(alive: () => boolean, intervalMs: number): Promise<ExitInfo> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (alive()) return;
      clearInterval(timer);
      resolve({ exitCode: null, signal: null, seen: false });
    }, intervalMs);
    timer.unref();
  });
}

/** `watchForeign` for one known process. */
export const watchIdentity = (identity: ProcessIdentity, intervalMs: number) =>
  watchForeign(() => isSameProcessAlive(identity), intervalMs);
