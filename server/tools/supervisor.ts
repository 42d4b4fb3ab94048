/**
 * The lifecycle of one tool instance on top of a managed process (process/managed.ts): start it on a free
 * loopback port (one process, however many ask at once), poll readiness, watch it, stop it with the
 * ladder, and take it back after a studio restart. Each step is a module of tools/lifecycle/, working on
 * the instance's shared state (lifecycle/state.ts).
 *
 * ```ts
 * const comfy = new ToolSupervisor(tool, deps);
 * comfy.start("Rosa Macak");         // starting -> running when /system_stats answers
 * await comfy.stop("Rosa Macak");    // the stop ladder, then the port is free
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ToolState } from "../api.js";
import type { ToolRecord } from "../state/schemas.js";
import type { SupervisorDeps } from "./instance.js";
import { start, startProblem } from "./lifecycle/start.js";
import { InstanceState } from "./lifecycle/state.js";
import { stop } from "./lifecycle/stop.js";
import { takeBack } from "./lifecycle/take-back.js";
import { isInstalled } from "./paths.js";
import type { ToolDefinition } from "./registry.js";

export type { ToolRecord, ToolState };
export {
  EMPTY_RECORD,
  INSTANCE_TAG,
  TOOL_MARKER,
  type SupervisorDeps,
  type SupervisorSettings,
} from "./instance.js";

/** How long a closing studio waits for a launch that is writing its files (ComfyUI users.json). */
export const DETACH_WAIT_MS = 2000;

export class ToolSupervisor {
  private readonly instance: InstanceState;

  constructor(
    readonly tool: ToolDefinition,
    readonly publicPort: number,
    private readonly deps: SupervisorDeps,
  ) {
    this.instance = new InstanceState(tool, publicPort, deps);
  }

  get record(): Readonly<ToolRecord> {
    return this.instance.rec;
  }

  get state(): ToolState {
    return this.instance.rec.state;
  }

  get isActive(): boolean {
    return this.instance.isActive;
  }

  get portReady(): boolean {
    return this.isActive && this.instance.ready;
  }

  get gpu(): number | null {
    return this.deps.gpu;
  }

  /** Where the gateway forwards to: the internal port, or the public one for a tool from before the gateway. */
  get targetPort(): number | null {
    return this.instance.targetPort;
  }

  /** Whether this run listens on the public port itself (taken back from before the gateway). */
  get holdsPublicPort(): boolean {
    const { rec } = this.instance;
    return this.isActive && rec.internal_port === null && rec.pid !== null;
  }

  installed(): boolean {
    return isInstalled(this.tool, this.deps.config);
  }

  /** Notes the gateway's last activity in the record (kept across restarts). */
  noteActivity(at: string): void {
    this.instance.update({ last_activity_at: at });
  }

  note(line: string): void {
    this.instance.note(line);
  }

  /** Why the tool cannot start now, or null. */
  startProblem(): string | null {
    return startProblem(this.instance);
  }

  /**
   * Starts the tool for `artist`, unless it already runs. Answers at once with `started: true` when this
   * call launched it; the launch goes on in the background and shows in the status.
   */
  start(artist: string): { started: boolean } {
    return start(this.instance, artist);
  }

  /** Stops the tool (any state); concurrent stops share one ladder. `why` goes into its log and message. */
  async stop(by: string, why?: string): Promise<void> {
    await stop(this.instance, by, why);
  }

  /**
   * Stops watching (the studio is closing): no callback of a run seen so far changes or notes anything, and
   * a launch under way spawns nothing. Resolves once that launch has written what it was writing, or after
   * DETACH_WAIT_MS (a studio shutting down has 5 s in all).
   */
  async detach(): Promise<void> {
    this.instance.detached = true;
    this.instance.run++;
    if (this.instance.preparing)
      await Promise.race([this.instance.preparing, sleep(DETACH_WAIT_MS, undefined, { ref: false })]);
  }

  /** Takes back a tool from a saved record: watches it when its process still lives, else marks it. */
  restore(saved: ToolRecord | null): "taken back" | "gone" | "idle" {
    return takeBack(this.instance, saved);
  }
}
