/**
 * The lifecycle of one tool: start (one process, however many ask at once), poll readiness, watch the
 * process, stop it with the ladder, and take it back after a studio restart.
 *
 * ```ts
 * const comfy = new ToolSupervisor(tool, deps);
 * await comfy.start("Rosa Macak");   // starting -> running when /system_stats answers
 * await comfy.stop("Rosa Macak");    // SIGTERM, SIGKILL after the grace, port free
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import fkill from "fkill";
import type { Logger } from "pino";
import type { ToolState, ToolStatus } from "../api.js";
import type { Config } from "../config.js";
import type { LogFile } from "../logs/logfile.js";
import { conflict } from "../util/errors.js";
import { isPortTaken, tailLines } from "../util/net.js";
import { resolveInside, scriptProblem } from "../util/paths.js";
import { childEnv } from "./env.js";
import {
  identify,
  isSameProcessAlive,
  spawnGroup,
  stopGroup,
  watchForeign,
  type ExitInfo,
  type ProcessIdentity,
} from "./processes.js";
import { probe } from "./readiness.js";
import { isInstalled, notInstalledMessage, openUrl, scriptPath, toolUrl, type Tool } from "./registry.js";

export type { ToolState, ToolStatus };
export const ACTIVE_STATES: readonly ToolState[] = ["starting", "running", "stopping"];

/** What is saved in state.json for one tool. */
export interface ToolRecord {
  state: ToolState;
  owner: string | null;
  pid: number | null;
  pgid: number | null;
  start_ticks: number | null;
  boot_id: string | null;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  signal: string | null;
  /** Why the tool is in its state, for a person (a crash's cause, who stopped it). */
  message: string | null;
  /** The last lines of the log when it crashed. */
  log_tail: string | null;
}

export interface SupervisorSettings {
  /** How often readiness is probed while starting. */
  readyIntervalMs: number;
  /** How long a stopping tool gets between SIGTERM and SIGKILL. */
  graceMs: number;
  /** How long to wait for the port to be free after the group is gone. */
  portFreeTimeoutMs: number;
  /** How often a taken-back process (not our child) is checked for life. */
  foreignPollMs: number;
}

export const DEFAULT_SETTINGS: SupervisorSettings = {
  readyIntervalMs: 100,
  graceMs: 10_000,
  portFreeTimeoutMs: 5_000,
  foreignPollMs: 500,
};

export interface SupervisorDeps {
  config: Config;
  log: LogFile;
  logger: Logger;
  outputRoot: string;
  settings: SupervisorSettings;
  /** Called after every change of the record, to save state.json. */
  onChange: () => void;
  /** The tool's own access token when the studio has a password (see ToolDefinition.auth). */
  token?: string;
}

const EMPTY: ToolRecord = {
  state: "stopped",
  owner: null,
  pid: null,
  pgid: null,
  start_ticks: null,
  boot_id: null,
  started_at: null,
  ended_at: null,
  exit_code: null,
  signal: null,
  message: null,
  log_tail: null,
};

export class ToolSupervisor {
  private rec: ToolRecord = { ...EMPTY };
  /** Bumped on every launch and take-back; callbacks of an older run are ignored. */
  private run = 0;
  private exit: Promise<ExitInfo> | undefined;
  private stopping: Promise<void> | undefined;
  private portReady = false;

  constructor(
    readonly tool: Tool,
    private readonly deps: SupervisorDeps,
  ) {}

  get record(): Readonly<ToolRecord> {
    return this.rec;
  }

  get state(): ToolState {
    return this.rec.state;
  }

  get isActive(): boolean {
    return ACTIVE_STATES.includes(this.rec.state);
  }

  status(pageHostname: string): ToolStatus {
    const { tool, deps } = this;
    const installed = isInstalled(tool, deps.config);
    return {
      tool_id: tool.id,
      name: tool.name,
      port: tool.port,
      url: toolUrl(tool.port, deps.config.runpodPodId, pageHostname),
      state: this.rec.state,
      installed,
      running: this.isActive,
      port_ready: this.isActive && this.portReady,
      owner: this.rec.owner,
      pid: this.isActive ? this.rec.pid : null,
      started_at: this.rec.started_at,
      exit_code: this.rec.exit_code,
      signal: this.rec.signal,
      ended_at: this.rec.ended_at,
      message: this.rec.message,
      log_tail: this.rec.log_tail,
      description: tool.description,
      install_hint: installed ? null : notInstalledMessage(tool),
      reinstall_keeps: tool.reinstallKeeps,
    };
  }

  private update(changes: Partial<ToolRecord>): void {
    this.rec = { ...this.rec, ...changes };
    this.deps.onChange();
  }

  private note(line: string): void {
    void this.deps.log
      .append(`[studio ${new Date().toISOString()}] ${line}\n`)
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, tool: this.tool.id }, "could not write to a tool log"),
      );
  }

  /**
   * Starts the tool for `artist`, unless it already runs. Resolves at once with `started: true` when this
   * call launched it; the launch goes on in the background and shows in the status.
   */
  start(artist: string): { started: boolean } {
    if (this.rec.state === "starting" || this.rec.state === "running") return { started: false };
    if (this.rec.state === "stopping") {
      throw conflict(`${this.tool.name} is stopping; start it again once it has stopped.`);
    }
    const { tool, deps } = this;
    if (!isInstalled(tool, deps.config)) throw conflict(notInstalledMessage(tool));
    const script = scriptPath(tool, "start", deps.config.repoDir);
    const problem = scriptProblem(script);
    if (problem) throw conflict(`${tool.name} cannot start: its start script ${script} ${problem}.`);
    this.run++;
    this.portReady = false;
    this.update({
      ...EMPTY,
      state: "starting",
      owner: artist,
      started_at: new Date().toISOString(),
    });
    const run = this.run;
    this.launch(run, artist, script).catch((error: unknown) => {
      if (run !== this.run) return;
      const message = `${tool.name} could not be started: ${(error as Error).message}`;
      deps.logger.error({ err: error, tool: tool.id }, "tool launch failed");
      this.note(message);
      this.update({ state: "crashed", message, ended_at: new Date().toISOString() });
    });
    return { started: true };
  }

  private async launch(run: number, artist: string, script: string): Promise<void> {
    const { tool, deps } = this;
    let outputDir: string | undefined;
    if (tool.perArtistOutput) {
      outputDir = resolveInside(deps.outputRoot, artist);
      await fs.mkdir(outputDir, { recursive: true });
    }
    await fs.mkdir(path.dirname(deps.log.file), { recursive: true });
    this.note(`starting ${tool.name} on port ${tool.port} for ${artist}`);
    await this.clearPort("a stale listener");
    if (run !== this.run || this.rec.state !== "starting") return;

    const handle = spawnGroup({
      script,
      cwd: deps.config.workspaceDir,
      env: {
        ...childEnv(deps.config, { user: artist, port: tool.port, outputDir }),
        ...(tool.auth && deps.token ? { [tool.auth.env]: deps.token } : {}),
      },
      logFile: deps.log.file,
    });
    this.update({
      pid: handle.pid,
      pgid: handle.pgid,
      start_ticks: handle.startTicks,
      boot_id: handle.bootId,
    });
    deps.logger.info({ tool: tool.id, pid: handle.pid, owner: artist }, "tool started");
    this.follow(run, handle.exited);
    await this.pollReady(run);
  }

  /** Kills whatever listens on the tool's port, saying so in the tool's log. */
  private async clearPort(what: string): Promise<void> {
    const { port, name, id } = this.tool;
    if (!(await isPortTaken(port))) return;
    this.note(`port ${port} was taken by ${what}: stopping it`);
    this.deps.logger.warn({ tool: id, port }, `clearing ${what} on the port of ${name}`);
    await fkill(`:${port}`, { silent: true, forceAfterTimeout: Math.max(500, this.deps.settings.graceMs) });
    if (!(await this.waitPortFree()))
      throw new Error(`port ${port} is still taken by another program after trying to stop it`);
  }

  private async waitPortFree(): Promise<boolean> {
    const deadline = Date.now() + this.deps.settings.portFreeTimeoutMs;
    while (await isPortTaken(this.tool.port)) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }

  private async pollReady(run: number): Promise<void> {
    const { tool, deps } = this;
    while (run === this.run && this.rec.state === "starting") {
      if (await probe(tool.port, tool.ready.path, tool.ready.accept)) {
        if (run !== this.run || this.rec.state !== "starting") return;
        this.portReady = true;
        const seconds = ((Date.now() - Date.parse(this.rec.started_at ?? "")) / 1000).toFixed(1);
        this.note(`${tool.name} is ready (answered ${tool.ready.path} after ${seconds} s)`);
        this.update({ state: "running" });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, deps.settings.readyIntervalMs));
    }
  }

  /** Watches the process of run `run`; when it ends unasked, the tool has crashed. */
  private follow(run: number, exited: Promise<ExitInfo>): void {
    this.exit = exited;
    void exited.then(async (info) => {
      if (run !== this.run || this.rec.state === "stopping" || this.stopping) return;
      if (this.rec.state !== "starting" && this.rec.state !== "running") return;
      const how = !info.seen
        ? "its process ended while the studio was not watching (exit code unknown)"
        : info.signal
          ? `it was killed by ${info.signal}`
          : `it exited with code ${info.exitCode}`;
      const when = this.rec.state === "starting" ? "while starting" : "while running";
      const message = `${this.tool.name} stopped unexpectedly ${when}: ${how}.`;
      this.note(message);
      const tail = await tailLines(this.deps.log, 20);
      this.portReady = false;
      this.deps.logger.warn({ tool: this.tool.id, exit: info }, "tool crashed");
      this.update({
        state: "crashed",
        exit_code: info.exitCode,
        signal: info.signal,
        ended_at: new Date().toISOString(),
        message,
        log_tail: tail,
        pid: null,
      });
    });
  }

  /** Stops the tool (any state); concurrent stops share one ladder. */
  async stop(by: string): Promise<void> {
    if (this.stopping) return await this.stopping;
    if (this.rec.state !== "starting" && this.rec.state !== "running") return;
    this.stopping = this.runStop(by).finally(() => (this.stopping = undefined));
    await this.stopping;
  }

  private async runStop(by: string): Promise<void> {
    const { tool, deps } = this;
    const run = this.run;
    const pgid = this.rec.pgid;
    this.update({ state: "stopping" });
    this.note(`stopping ${tool.name} (asked by ${by})`);
    let killed = false;
    if (pgid !== null && pgid > 1) {
      const result = await stopGroup(pgid, { graceMs: deps.settings.graceMs });
      killed = result.killed;
      if (killed) this.note(`${tool.name} did not stop within ${deps.settings.graceMs} ms: killed`);
    }
    try {
      await this.clearPort("a process that outlived the tool");
    } catch (error) {
      deps.logger.error({ err: error, tool: tool.id }, "port still taken after stop");
    }
    const exit = this.exit ? await Promise.race([this.exit, delay(2_000)]) : undefined;
    if (run !== this.run) return;
    this.portReady = false;
    this.note(`${tool.name} stopped`);
    deps.logger.info({ tool: tool.id, by, killed }, "tool stopped");
    this.update({
      state: "stopped",
      exit_code: exit ? exit.exitCode : null,
      signal: exit ? exit.signal : null,
      ended_at: new Date().toISOString(),
      message: `Stopped by ${by}${killed ? " (it had to be killed)" : ""}.`,
      pid: null,
    });
  }

  /** Takes back a tool from a saved record: watches it when its process still lives, else marks it. */
  restore(saved: ToolRecord): "taken back" | "gone" | "idle" {
    const wasActive = ACTIVE_STATES.includes(saved.state);
    // Without its start time a pid could belong to any process now: only a known process is taken back.
    const identity: ProcessIdentity | null =
      typeof saved.pid === "number" && typeof saved.start_ticks === "number"
        ? {
            pid: saved.pid,
            pgid: saved.pgid ?? saved.pid,
            startTicks: saved.start_ticks,
            bootId: saved.boot_id ?? null,
          }
        : null;
    if (wasActive && identity && isSameProcessAlive(identity)) {
      this.run++;
      const run = this.run;
      this.rec = { ...EMPTY, ...saved, state: "starting" };
      this.follow(run, watchForeign(identity, this.deps.settings.foreignPollMs));
      this.note(`the studio restarted and took back ${this.tool.name} (pid ${saved.pid})`);
      if (saved.state === "stopping") {
        this.rec.state = "running";
        void this.stop("the studio (a stop was under way when it restarted)");
      } else {
        void this.pollReady(run);
      }
      this.deps.onChange();
      return "taken back";
    }
    if (wasActive) {
      this.rec = {
        ...EMPTY,
        ...saved,
        state: "stopped",
        pid: null,
        ended_at: new Date().toISOString(),
        message: `${this.tool.name} was running when the studio stopped and had ended before it came back.`,
      };
      this.deps.onChange();
      return "gone";
    }
    this.rec = { ...EMPTY, ...saved, pid: null };
    return "idle";
  }

  /** The link that opens the tool (with its token when it has one): for signed-in pages, never /debug. */
  openUrl(pageHostname: string): string {
    return openUrl(
      this.tool,
      toolUrl(this.tool.port, this.deps.config.runpodPodId, pageHostname),
      this.deps.token,
    );
  }

  /** The identity of the running process, for tests and /debug. */
  get identity(): ProcessIdentity | null {
    return this.rec.pid === null ? null : identify(this.rec.pid, this.rec.pgid ?? this.rec.pid);
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
