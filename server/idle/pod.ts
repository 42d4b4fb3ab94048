/**
 * Stopping the pod when nobody needs it (IDLE_STOP_POD_MINUTES, only with RUNPOD_POD_ID): when no tool
 * runs, no job is pending and nobody has used the studio or a tool for that long, the studio runs
 * `runpodctl stop pod $RUNPOD_POD_ID` (the volume is kept). A failure is reported on /pod and /debug and
 * not tried again until the pod has been used and is idle once more.
 *
 * ```ts
 * pod.view();   // { idle_since, stop_at, stop_enabled }
 * ```
 */
import { execa } from "execa";
import type { Logger } from "pino";
import { isPending } from "../jobs/history.js";
import type { JobRunner } from "../jobs/runner.js";
import type { ToolService } from "../tools/service.js";
import { checkEveryMs } from "./tools.js";

export interface PodIdleOptions {
  minutes: number;
  podId: string | undefined;
  tools: ToolService;
  jobs: JobRunner;
  logger: Logger;
  clock?: () => number;
}

export interface PodView {
  idle_since: string | null;
  stop_at: string | null;
  stop_enabled: boolean;
  /** Why the last stop did not work, or null. */
  error: string | null;
}

export class PodIdle {
  private timer: NodeJS.Timeout | undefined;
  /** When something last ran or was used (ms). */
  private lastBusy: number;
  private failedFor: number | null = null;
  private error: string | null = null;
  private stopping = false;
  private readonly clock: () => number;

  constructor(private readonly options: PodIdleOptions) {
    this.clock = options.clock ?? Date.now;
    this.lastBusy = this.clock();
  }

  get enabled(): boolean {
    return this.options.minutes > 0 && this.options.podId !== undefined;
  }

  /** A sentence for /debug when the setting cannot work. */
  get warnings(): string[] {
    const list: string[] = [];
    if (this.options.minutes > 0 && this.options.podId === undefined) {
      list.push("IDLE_STOP_POD_MINUTES is set but RUNPOD_POD_ID is not: the pod is never stopped.");
    }
    if (this.error) list.push(this.error);
    return list;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => void this.check(), checkEveryMs(this.options.minutes * 60_000));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The last time anything happened: a tool or job running, or a person using the studio or a tool. */
  idleSinceMs(): number | null {
    const { tools, jobs } = this.options;
    const now = this.clock();
    const running = tools.manager.all().some((instance) => instance.isActive);
    const pending = jobs.list().some(isPending);
    if (running || pending) {
      this.lastBusy = now;
      return null;
    }
    const used = [
      tools.activity.studioLast,
      ...tools.manager.tools.map((tool) => tools.activity.lastAt(tool.id) ?? 0),
    ];
    return Math.max(this.lastBusy, ...used);
  }

  view(): PodView {
    const since = this.idleSinceMs();
    const stopAt = since === null || !this.enabled ? null : since + this.options.minutes * 60_000;
    return {
      idle_since: since === null ? null : new Date(since).toISOString(),
      stop_at: stopAt === null ? null : new Date(stopAt).toISOString(),
      stop_enabled: this.enabled,
      error: this.error,
    };
  }

  async check(): Promise<void> {
    const since = this.idleSinceMs();
    if (since === null || !this.enabled || this.stopping) return;
    if (this.failedFor === since) return;
    if (this.clock() < since + this.options.minutes * 60_000) return;
    this.stopping = true;
    const minutes = this.options.minutes;
    this.options.logger.warn(
      { minutes },
      `nothing has run and nobody has used the pod for ${minutes} minutes: stopping the pod`,
    );
    try {
      const result = await execa("runpodctl", ["stop", "pod", this.options.podId!], {
        reject: false,
        timeout: 60_000,
      });
      if (result.exitCode !== 0 || result.failed) {
        const detail =
          (result.stderr || result.stdout || result.shortMessage || "")
            .split("\n")
            .find((line) => line.trim() !== "") ?? "no output";
        throw new Error(`runpodctl exited with code ${result.exitCode ?? "?"}: ${detail.slice(0, 200)}`);
      }
      this.error = null;
      this.options.logger.info("runpodctl asked RunPod to stop the pod");
    } catch (error) {
      this.failedFor = since;
      this.error = `The pod could not be stopped after ${minutes} idle minutes: ${(error as Error).message}. It is tried again after the pod is used and idle once more.`;
      this.options.logger.error({ err: error }, this.error);
    } finally {
      this.stopping = false;
    }
  }
}
