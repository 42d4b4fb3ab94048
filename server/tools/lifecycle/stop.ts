/**
 * Stopping a tool instance: the stop ladder on every group of its run (process/ladder.ts), then a wait for
 * its port to be free, then the record says who stopped it and whether it had to be killed. Stops asked
 * at the same time share one ladder.
 *
 * ```ts
 * await stop(instance, "Rosa Macak");                          // "Stopped by Rosa Macak."
 * await stop(instance, "the studio", "Idle for 30 minutes");   // `why` goes into the log and the message
 * ```
 */
import { waitUntil } from "../../process/ladder.js";
import { isPortTaken } from "../readiness.js";
import type { InstanceState } from "./state.js";

/** Stops the tool (any state); concurrent stops share one ladder. `why` goes into its log and message. */
export async function stop(instance: InstanceState, by: string, why?: string): Promise<void> {
  if (instance.stopping) return await instance.stopping;
  if (instance.rec.state !== "starting" && instance.rec.state !== "running") return;
  instance.stopping = runStop(instance, by, why).finally(() => (instance.stopping = undefined));
  await instance.stopping;
}

async function runStop(instance: InstanceState, by: string, why: string | undefined): Promise<void> {
  const { tool, deps, proc } = instance;
  const run = instance.run;
  const port = instance.targetPort;
  instance.update({ state: "stopping" });
  instance.note(`stopping ${tool.name} (${why ?? `asked by ${by}`})`);
  const { killed } = await proc.stop();
  if (killed) instance.note(`${tool.name} did not stop within ${deps.settings.ladder.graceMs} ms: killed`);
  if (
    port !== null &&
    !(await waitUntil(async () => !(await isPortTaken(port)), deps.settings.ladder.portFreeMs))
  ) {
    deps.logger.error({ tool: tool.id, port }, "the tool's port is still taken after its processes ended");
  }
  const exit = await proc.exitAfterStop();
  if (run !== instance.run) return;
  instance.ready = false;
  instance.note(`${tool.name} stopped`);
  deps.logger.info({ tool: tool.id, by, killed, why }, "tool stopped");
  instance.update({
    state: "stopped",
    exit_code: exit ? exit.exitCode : null,
    signal: exit ? exit.signal : null,
    ended_at: new Date().toISOString(),
    message: `${why ?? `Stopped by ${by}`}${killed ? " (it had to be killed)" : ""}.`,
    pid: null,
  });
}
