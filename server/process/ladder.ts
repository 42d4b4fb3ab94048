/**
 * The stop ladder: the one way the studio ends a process group, a tool's or a job's.
 *
 *   1. SIGTERM (and SIGCONT, to wake a stopped member) to the group; wait for it to end.
 *   2. SIGTERM to the descendants that left the group (found before step 1); wait for them too.
 *      Steps 1 and 2 share `graceMs`.
 *   3. SIGKILL to whatever is left; wait at most `killWaitMs` for it to be gone.
 *   4. For a tool: wait at most `portFreeMs` for its port to be free (see tools/lifecycle/stop.ts).
 *
 * Worst case for a stop: graceMs + killWaitMs + portFreeMs, 10 s + 5 s + 5 s = 20 s with the defaults.
 *
 * ```ts
 * await stopGroup(pgid, ladderSettings(config.stopGraceMs));  // { killed: false, gone: true }
 * ```
 */
import {
  escapedDescendants,
  isGroupAlive,
  isSameProcessAlive,
  signalEach,
  signalGroup,
  type ProcessIdentity,
} from "./proc.js";

export interface StopLadder {
  /** `STOP_GRACE_MS` (default 10 000): how long a group gets between SIGTERM and SIGKILL. */
  graceMs: number;
  /** After SIGKILL: how long to wait for the kernel to remove the processes (default 5 000). */
  killWaitMs: number;
  /** After the processes are gone: how long a tool's port may take to be free (default 5 000). */
  portFreeMs: number;
}

export const DEFAULT_LADDER: StopLadder = { graceMs: 10_000, killWaitMs: 5_000, portFreeMs: 5_000 };

export function ladderSettings(graceMs: number, overrides: Partial<StopLadder> = {}): StopLadder {
  return { ...DEFAULT_LADDER, graceMs, ...overrides };
}

/** The longest a stop can take with these settings. */
export const worstCaseStopMs = (ladder: StopLadder) => ladder.graceMs + ladder.killWaitMs + ladder.portFreeMs;

/** The first wait between checks; it doubles up to MAX_CHECK_MS, so a quick end is seen within ms. */
const FIRST_CHECK_MS = 2;
const MAX_CHECK_MS = 50;

/**
 * Waits until `check()` is true or `timeoutMs` has passed; `wake` (a child's exit, say) makes it check at
 * once. Checks start every 2 ms and slow to every 50 ms, so short waits answer fast and long ones cost little.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  wake?: Promise<unknown>,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let interval = FIRST_CHECK_MS;
  let woken = false;
  void wake?.then(() => (woken = true));
  for (;;) {
    if (await check()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(interval, left));
      if (wake && !woken)
        void wake.then(() => {
          clearTimeout(timer);
          resolve();
        });
    });
    interval = Math.min(interval * 2, MAX_CHECK_MS);
  }
}

export interface StopResult {
  /** Whether SIGKILL was needed. */
  killed: boolean;
  /** Whether every member of the group (and every escaped descendant) is gone. */
  gone: boolean;
}

/** Runs the ladder on group `pgid`; `exited` (the leader's end, when it is our child) speeds up the wait. */
export async function stopGroup(
  pgid: number,
  ladder: Pick<StopLadder, "graceMs" | "killWaitMs">,
  exited?: Promise<unknown>,
): Promise<StopResult> {
  if (pgid <= 1 || !isGroupAlive(pgid)) return { killed: false, gone: true };
  const deadline = Date.now() + ladder.graceMs;
  const escaped: ProcessIdentity[] = escapedDescendants(pgid);
  const allGone = () => !isGroupAlive(pgid) && escaped.every((identity) => !isSameProcessAlive(identity));
  signalGroup(pgid, "SIGTERM");
  signalGroup(pgid, "SIGCONT");
  // The group goes first: a server that ends its own children (kernels, workers) is given the chance.
  await waitUntil(() => !isGroupAlive(pgid), ladder.graceMs, exited);
  signalEach(escaped, "SIGTERM");
  if (await waitUntil(allGone, Math.max(0, deadline - Date.now()))) return { killed: false, gone: true };
  signalGroup(pgid, "SIGKILL");
  signalEach(escaped, "SIGKILL");
  return { killed: true, gone: await waitUntil(allGone, ladder.killWaitMs) };
}
