/**
 * The readiness wait's wake-up on a tool's log (tools/lifecycle/log-wake.ts), against real files: a line
 * wakes it long before its fallback timer would, a silent log leaves it to the timer, a log made after the
 * wait began is watched from the next wait on, and right after a line the port is looked at often.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ACTIVE_MS, LogWake } from "../../server/tools/lifecycle/log-wake.js";

const NEVER = 120_000;
let dir = "";
const wakes: LogWake[] = [];
afterEach(() => {
  for (const wake of wakes.splice(0)) wake.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setUp(create = true): { file: string; wake: LogWake } {
  dir = mkdtempSync(path.join(os.tmpdir(), "log-wake-"));
  const file = path.join(dir, "tool.log");
  if (create) writeFileSync(file, "");
  const wake = new LogWake(file);
  wakes.push(wake);
  return { file, wake };
}

/** Which of `wait` and a `ms` timer ends first. */
async function first(wait: Promise<void>, ms: number): Promise<"woken" | "timer"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timer">((resolve) => (timer = setTimeout(() => resolve("timer"), ms)));
  const won = await Promise.race([wait.then(() => "woken" as const), late]);
  clearTimeout(timer);
  return won;
}

describe("waking the readiness wait on the tool's log", () => {
  it("a line of the log wakes it, not its two-minute timer", async () => {
    const { file, wake } = setUp();
    const waiting = wake.next(NEVER);
    appendFileSync(file, "listening on 8188\n");
    expect(await first(waiting, 20_000)).toBe("woken");
  });

  it("a silent log leaves it to the timer", async () => {
    const { wake } = setUp();
    expect(await first(wake.next(30), 20_000)).toBe("woken");
    expect(await first(wake.next(NEVER), 400)).toBe("timer");
  });

  it("a log made after the wait began is watched from the next wait on", async () => {
    const { file, wake } = setUp(false);
    expect(await first(wake.next(30), 20_000)).toBe("woken");
    writeFileSync(file, "");
    const waiting = wake.next(NEVER);
    appendFileSync(file, "loading models...\n");
    expect(await first(waiting, 20_000)).toBe("woken");
  });

  it("right after a line it looks again soon without another line, then waits for the timer", async () => {
    const { file, wake } = setUp();
    const waiting = wake.next(NEVER);
    appendFileSync(file, "starting the server\n");
    await waiting;
    expect(await first(wake.next(NEVER), 20_000)).toBe("woken");
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_MS + 100));
    expect(await first(wake.next(NEVER), 400)).toBe("timer");
  });
});
