/**
 * The rules of starting, stopping and showing tools, for routes and the gateway alike: who may start or
 * stop what, no start while a job for the tool is pending, admin-only tools, which instance an artist
 * gets, and the status every page shows.
 *
 * ```ts
 * const result = tools.start(who, "comfy-ui");   // { started, instance }
 * await tools.stop(who, "comfy-ui");             // 403 unless the owner or admin mode
 * ```
 */
import type { ToolStatus } from "../api.js";
import type { Config } from "../config.js";
import type { Activity } from "../gateway/activity.js";
import type { JobRunner } from "../jobs/runner.js";
import type { Who } from "../users/who.js";
import { badRequest, conflict, forbidden, notFound, StudioError } from "../util/errors.js";
import { busyOf, describeBusy } from "./busy.js";
import type { ToolManager } from "./manager.js";
import { isInstalled, notInstalledMessage, portUrl } from "./paths.js";
import { Placement } from "./placement.js";
import { findTool, type ToolDefinition } from "./registry.js";
import type { ToolSupervisor } from "./supervisor.js";

/** Where the asking page was loaded from: the host for tool URLs, the studio's origin for Open links. */
export interface View {
  pageHostname: string;
  studioOrigin: string;
}

/** Extra status fields owned by other services (idle stops). */
export type StatusExtras = (tool: ToolDefinition) => { idle_stop_at: string | null };

export class ToolService {
  readonly placement = new Placement();
  extras: StatusExtras = () => ({ idle_stop_at: null });

  constructor(
    private readonly config: Config,
    readonly manager: ToolManager,
    private readonly jobs: JobRunner,
    readonly activity: Activity,
  ) {}

  find(id: string): ToolDefinition {
    const tool = findTool(id);
    if (!tool) throw notFound(`There is no tool "${id.slice(0, 100)}".`);
    return tool;
  }

  isAdminOnly(tool: ToolDefinition): boolean {
    return (this.config.adminOnlyTools as readonly string[]).includes(tool.id);
  }

  /** A sentence when `who` may not use `tool` at all (admin-only tools), else null. */
  accessProblem(who: Who, tool: ToolDefinition): string | null {
    if (!this.isAdminOnly(tool) || who.isAdmin) return null;
    return `${tool.name} is for admins only on this studio (ADMIN_ONLY_TOOLS); ask an admin.`;
  }

  /** Why a start of `tool` must wait for a job, or null. */
  private jobProblem(tool: ToolDefinition): string | null {
    const busy = this.jobs.pending(tool.id)[0];
    if (!busy) return null;
    const doing = busy.status === "running" ? "is being" : "is waiting to be";
    return `${tool.name} ${doing} ${busy.action.replace(/e?$/, "ed")} (asked by ${busy.requested_by}); start it when that job ends.`;
  }

  /** Starts `tool` for the artist (their instance, see placement); `started` when this call launched it. */
  start(who: Who, id: string): { started: boolean; instance: ToolSupervisor } {
    const tool = this.find(id);
    if (!who.artist) throw badRequest("Pick your name first.");
    const access = this.accessProblem(who, tool);
    if (access) throw forbidden(access);
    const instances = this.manager.instances(tool.id);
    const instance = instances[this.placement.forStart(tool.id, who.artist, instances)]!;
    if (!instance.isActive) {
      const problem = this.jobProblem(tool);
      if (problem) throw conflict(problem);
    }
    const { started } = instance.start(who.artist);
    if (started) this.activity.seen(tool.id, who.artist, true);
    return { started, instance };
  }

  /** The instances `who` may stop: the owner's own, or every one in admin mode. */
  private stoppable(who: Who, tool: ToolDefinition): ToolSupervisor[] {
    const active = this.manager.instances(tool.id).filter((instance) => instance.isActive);
    if (who.adminMode) return active;
    const mine = active.filter((instance) => who.artist !== null && instance.record.owner === who.artist);
    if (mine.length > 0 || active.length === 0) return mine;
    const owners = [...new Set(active.map((instance) => instance.record.owner ?? "someone else"))].join(
      " and ",
    );
    throw forbidden(
      `${tool.name} is in use by ${owners}: only ${owners} or an admin in admin mode may stop it.`,
    );
  }

  /**
   * Stops what `who` may stop of `tool`; stopping a tool that does not run is fine. ComfyUI with prompts
   * in its queue answers 409 naming how many and whose, unless `force`.
   */
  async stop(who: Who, id: string, options: { force?: boolean; why?: string } = {}): Promise<void> {
    const tool = this.find(id);
    const targets = this.stoppable(who, tool);
    if (!options.force && tool.busy?.kind === "comfy-queue") {
      for (const instance of targets) {
        const port = instance.state === "running" ? instance.targetPort : null;
        const busy = port === null ? null : await busyOf(tool, port);
        if (busy && busy.count > 0) {
          throw new StudioError(
            409,
            `${tool.name} still has ${describeBusy(busy, "prompt")} in its queue; stop it anyway with force, or wait.`,
            {},
            { queued: busy.count, by: busy.by },
          );
        }
      }
    }
    await Promise.all(targets.map((instance) => instance.stop(who.artist ?? "an admin", options.why)));
  }

  /** An admin action may not run while the tool runs (scripts replace code under a running process). */
  runningProblem(tool: ToolDefinition, action: string): string | null {
    const active = this.manager.instances(tool.id).find((instance) => instance.isActive);
    return active
      ? `${tool.name} is running (started by ${active.record.owner ?? "someone"}): stop it before you ${action} it.`
      : null;
  }

  installed(tool: ToolDefinition): boolean {
    return isInstalled(tool, this.config);
  }

  status(id: string, view: View): ToolStatus {
    const tool = this.find(id);
    const instances = this.manager.instances(tool.id);
    // The status a person reads is the busiest instance's (the only one, unless ComfyUI runs per GPU).
    const main =
      instances.find((instance) => instance.state === "running") ??
      instances.find((i) => i.isActive) ??
      instances[0]!;
    const rec = main.record;
    const installed = this.installed(tool);
    const port = this.config.toolPorts[tool.id as keyof Config["toolPorts"]];
    return {
      tool_id: tool.id,
      name: tool.name,
      port,
      url: portUrl(port, this.config.runpodPodId, view.pageHostname),
      open_url: `${view.studioOrigin}/open/${tool.id}`,
      state: rec.state,
      installed,
      running: main.isActive,
      port_ready: main.portReady,
      owner: rec.owner,
      pid: main.isActive ? rec.pid : null,
      started_at: rec.started_at,
      exit_code: rec.exit_code,
      signal: rec.signal,
      ended_at: rec.ended_at,
      message: rec.message,
      log_tail: rec.log_tail,
      description: tool.description,
      install_hint: installed ? null : notInstalledMessage(tool),
      reinstall_keeps: tool.reinstallKeeps,
      last_activity_at: this.activity.lastActivityAt(tool.id),
      active_artists: this.activity.activeArtists(tool.id),
      admin_only: this.isAdminOnly(tool),
      ...this.extras(tool),
      ...(instances.length > 1
        ? {
            instances: instances.map((instance, index) => ({
              gpu: instance.gpu,
              state: instance.state,
              owner: instance.isActive ? instance.record.owner : null,
              artists: this.placement.artistsOf(tool.id, index, instances),
              pid: instance.isActive ? instance.record.pid : null,
            })),
          }
        : {}),
    };
  }

  statuses(view: View): ToolStatus[] {
    return this.manager.tools.map((tool) => this.status(tool.id, view));
  }
}
