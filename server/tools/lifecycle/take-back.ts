/**
 * Taking back a tool instance after a studio restart, from its saved record: a run whose process still
 * lives (found by its identity, its marker or the instance's tag) is watched again and awaited, or its
 * interrupted stop is finished; a run that ended meanwhile is marked stopped; anything else stays idle.
 *
 * ```ts
 * takeBack(instance, saved);   // "taken back" | "gone" | "idle"
 * takeBack(instance, null);    // nothing saved: looks by the instance's tag only
 * ```
 */
import { ACTIVE_STATES } from "../../api.js";
import { EMPTY_PROCESS } from "../../process/managed.js";
import type { ToolRecord } from "../../state/schemas.js";
import { EMPTY_RECORD } from "../instance.js";
import { watchForCrash } from "./crash.js";
import type { InstanceState } from "./state.js";
import { stop } from "./stop.js";
import { waitReady } from "./wait-ready.js";

/** Takes back a tool from a saved record: watches it when its process still lives, else marks it. */
export function takeBack(instance: InstanceState, saved: ToolRecord | null): "taken back" | "gone" | "idle" {
  const { tool, deps, proc } = instance;
  const wasActive = saved !== null && ACTIVE_STATES.includes(saved.state);
  if (proc.loadState(wasActive ? saved : null)) {
    saved = { ...EMPTY_RECORD, ...saved, state: saved?.state === "stopping" ? "stopping" : "starting" };
    instance.run++;
    const run = instance.run;
    instance.rec = {
      ...EMPTY_RECORD,
      ...saved,
      ...proc.getState(),
      gpu: deps.gpu,
      state: "starting",
    };
    // A run found without its record says in its environment which loopback port it was given.
    const port = Number(proc.env("PORT"));
    if (instance.rec.internal_port === null && proc.env("LISTEN_HOST") !== null && port > 0)
      instance.rec.internal_port = port;
    watchForCrash(instance, run, proc.exited);
    instance.note(`the studio restarted and took back ${tool.name} (pid ${instance.rec.pid})`);
    if (saved.state === "stopping") {
      instance.rec.state = "running";
      void stop(instance, "the studio", "A stop was under way when the studio restarted");
    } else {
      void waitReady(instance, run);
    }
    deps.onChange();
    return "taken back";
  }
  if (saved === null) return "idle";
  if (wasActive) {
    instance.rec = {
      ...EMPTY_RECORD,
      ...saved,
      ...EMPTY_PROCESS,
      gpu: deps.gpu,
      state: "stopped",
      ended_at: new Date().toISOString(),
      message: `${tool.name} was running when the studio stopped and had ended before it came back.`,
    };
    deps.onChange();
    return "gone";
  }
  instance.rec = { ...EMPTY_RECORD, ...saved, pid: null, gpu: deps.gpu };
  return "idle";
}
