/**
 * Waiting for a starting tool instance to answer: a cheap TCP connect until its port is open (tried each
 * time the tool writes to its log, see log-wake.ts, else every `listenCheckMs`), then its registry entry's
 * HTTP probe (see tools/readiness.ts); the first good answer makes it running. The wait ends as soon as
 * the run is no longer the one starting (stopped, crashed, started again).
 *
 * ```ts
 * await waitReady(instance, instance.run);   // state "starting" -> "running", "... is ready" in its log
 * ```
 */
import { isPortTaken, probe } from "../readiness.js";
import { LogWake } from "./log-wake.js";
import type { InstanceState } from "./state.js";

export async function waitReady(instance: InstanceState, run: number): Promise<void> {
  const live = () => run === instance.run && instance.rec.state === "starting";
  const wake = new LogWake(instance.deps.log.file);
  try {
    await untilReady(instance, live, wake);
  } finally {
    wake.close();
  }
}

async function untilReady(instance: InstanceState, live: () => boolean, wake: LogWake): Promise<void> {
  const { tool, deps } = instance;
  while (live()) {
    const port = instance.targetPort;
    // Not listening yet: look again when the tool writes to its log, or after a while.
    if (port === null || (deps.settings.listenCheckMs > 0 && !(await isPortTaken(port, 1_000)))) {
      await wake.next(deps.settings.listenCheckMs || deps.settings.readyIntervalMs);
      continue;
    }
    if (await probe(port, tool.ready.path, tool.ready.accept)) {
      if (!live()) return;
      instance.ready = true;
      const seconds = ((Date.now() - Date.parse(instance.rec.started_at ?? "")) / 1000).toFixed(1);
      instance.note(`${tool.name} is ready (answered ${tool.ready.path} after ${seconds} s)`);
      instance.update({ state: "running" });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, deps.settings.readyIntervalMs));
  }
}
