/**
 * Idle stops for tools (IDLE_STOP_MINUTES): a running tool with no activity for that long is stopped,
 * with the reason in its log, the studio's log and its status message. Busy is never idle: a job for the
 * tool, work in it (ComfyUI's queue, a busy Jupyter kernel: its registry entry's `busy` probe), or a tool
 * starting or stopping all count as activity. An open tab alone is not (see gateway/activity.ts).
 * Timers survive a restart: the last activity is kept in state.json.
 *
 * ```ts
 * const idle = new ToolIdle({ minutes: 30, tools, jobs, logger });
 * idle.start();                         // checks every few seconds
 * idle.stopAt("comfy-ui");              // when it will be stopped, or null
 * ```
 */
import type { Logger } from "pino";
import type { JobRunner } from "../jobs/runner.js";
import { busyOf, type Busy } from "../tools/busy.js";
import type { ToolDefinition } from "../tools/registry.js";
import { tokenHeaders } from "../tools/token.js";
import type { ToolService } from "../tools/service.js";
import type { ToolSupervisor } from "../tools/supervisor.js";

/** How a busy probe is made (replaceable in tests). */
export type BusyProbe = (
  tool: ToolDefinition,
  port: number,
  headers: Record<string, string>,
) => Promise<Busy | null>;

export interface ToolIdleOptions {
  /** IDLE_STOP_MINUTES (0: off). */
  minutes: number;
  /** Signs tools' own tokens, for the busy probes. */
  secret?: string;
  tools: ToolService;
  jobs: JobRunner;
  logger: Logger;
  probe?: BusyProbe;
  clock?: () => number;
}

/** How often tools are checked: a tenth of the idle time, between 100 ms and 5 s. */
export const checkEveryMs = (idleMs: number) => Math.min(5_000, Math.max(100, Math.round(idleMs / 10)));

/** How long before an idle stop the page warns: 5 minutes, or half the idle time when that is shorter. */
export const warnBeforeMs = (idleMs: number) => Math.min(5 * 60_000, idleMs / 2);

export class ToolIdle {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly clock: () => number;
  private readonly probe: BusyProbe;

  constructor(private readonly options: ToolIdleOptions) {
    this.clock = options.clock ?? Date.now;
    this.probe = options.probe ?? busyOf;
  }

  get idleMs(): number {
    return this.options.minutes * 60_000;
  }

  get enabled(): boolean {
    return this.idleMs > 0;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => void this.check(), checkEveryMs(this.idleMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** When `tool` will be stopped for being idle (ms since epoch), or null. */
  stopAtMs(tool: ToolDefinition): number | null {
    if (!this.enabled) return null;
    const running = this.options.tools.manager
      .instances(tool.id)
      .some((instance) => instance.state === "running");
    const last = this.options.tools.activity.lastAt(tool.id);
    return running && last !== null ? last + this.idleMs : null;
  }

  stopAt(tool: ToolDefinition): string | null {
    const at = this.stopAtMs(tool);
    return at === null ? null : new Date(at).toISOString();
  }

  /** Whether `instance` has work that keeps it from being idle. */
  private async isBusy(tool: ToolDefinition, instance: ToolSupervisor): Promise<boolean> {
    if (instance.state === "starting" || instance.state === "stopping") return true;
    if (this.options.jobs.pending(tool.id).length > 0) return true;
    const port = instance.targetPort;
    if (!tool.busy || port === null) return false;
    const busy = await this.probe(tool, port, tokenHeaders(tool, this.options.secret));
    return busy !== null && busy.count > 0;
  }

  /** One round: busy tools count as active; idle ones past their time are stopped. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const { tools } = this.options;
      for (const tool of tools.manager.tools) {
        const active = tools.manager.instances(tool.id).filter((instance) => instance.isActive);
        if (active.length === 0) continue;
        const busy = await Promise.all(active.map((instance) => this.isBusy(tool, instance)));
        const now = this.clock();
        if (busy.some(Boolean)) {
          tools.activity.note(tool.id, now);
          continue;
        }
        const at = this.stopAtMs(tool);
        if (at !== null && now >= at) await this.stopIdle(tool, active);
      }
    } catch (error) {
      this.options.logger.error({ err: error }, "the idle check failed");
    } finally {
      this.checking = false;
    }
  }

  private async stopIdle(tool: ToolDefinition, instances: ToolSupervisor[]): Promise<void> {
    const minutes = this.options.minutes;
    const why = `Stopped after ${minutes} minute${minutes === 1 ? "" : "s"} without activity (IDLE_STOP_MINUTES)`;
    this.options.logger.info({ tool: tool.id, minutes }, `${tool.name} is idle: stopping it`);
    await Promise.all(instances.map((instance) => instance.stop("the studio", why)));
  }
}
