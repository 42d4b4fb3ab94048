/**
 * The lifecycle of one tool instance on top of a managed process (process/managed.ts): start it on a free
 * loopback port (one process, however many ask at once), poll readiness, watch it, stop it with the
 * ladder, and take it back after a studio restart.
 *
 * ```ts
 * const comfy = new ToolSupervisor(tool, deps);
 * comfy.start("Rosa Macak");         // starting -> running when /system_stats answers
 * await comfy.stop("Rosa Macak");    // the stop ladder, then the port is free
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { ACTIVE_STATES, type ToolState } from "../api.js";
import { waitUntil } from "../process/ladder.js";
import { EMPTY_PROCESS, ManagedProcess } from "../process/managed.js";
import type { ExitInfo } from "../process/spawn.js";
import type { ToolRecord } from "../state/schemas.js";
import { conflict } from "../util/errors.js";
import { readableFileProblem as scriptProblem } from "@comfystudio/kit/paths";
import { childEnv } from "./env.js";
import { EMPTY_RECORD, INSTANCE_TAG, TOOL_MARKER, type SupervisorDeps } from "./instance.js";
import { isInstalled, notInstalledMessage, outputRoot, scriptPath } from "./paths.js";
import { freeLoopbackPort, isPortTaken, probe } from "./readiness.js";
import type { ToolDefinition } from "./registry.js";
import { tailLines } from "../logs/tail.js";
import { toolToken } from "./token.js";

export type { ToolRecord, ToolState };
export {
  EMPTY_RECORD,
  INSTANCE_TAG,
  TOOL_MARKER,
  type SupervisorDeps,
  type SupervisorSettings,
} from "./instance.js";

export class ToolSupervisor {
  private rec: ToolRecord;
  private readonly proc: ManagedProcess;
  /** Bumped on every launch and take-back; callbacks of an older run are ignored. */
  private run = 0;
  private stopping: Promise<void> | undefined;
  private ready = false;
  /** Set when the studio closes: the process runs on, and the next studio watches it. */
  private detached = false;

  constructor(
    readonly tool: ToolDefinition,
    readonly publicPort: number,
    private readonly deps: SupervisorDeps,
  ) {
    this.rec = { ...EMPTY_RECORD, gpu: deps.gpu };
    this.proc = new ManagedProcess({
      marker: TOOL_MARKER,
      ladder: deps.settings.ladder,
      foreignPollMs: deps.settings.foreignPollMs,
      // The state folder makes the tag this studio's own: another studio on the machine never takes its tools.
      tag: { name: INSTANCE_TAG, value: `${tool.id}@${deps.index}@${deps.config.stateDir}` },
    });
  }

  get record(): Readonly<ToolRecord> {
    return this.rec;
  }

  get state(): ToolState {
    return this.rec.state;
  }

  get isActive(): boolean {
    return ACTIVE_STATES.includes(this.rec.state);
  }

  get portReady(): boolean {
    return this.isActive && this.ready;
  }

  get gpu(): number | null {
    return this.deps.gpu;
  }

  /** Where the gateway forwards to: the internal port, or the public one for a tool from before the gateway. */
  get targetPort(): number | null {
    if (!this.isActive) return null;
    return this.rec.internal_port ?? (this.rec.pid !== null ? this.publicPort : null);
  }

  /** Whether this run listens on the public port itself (taken back from before the gateway). */
  get holdsPublicPort(): boolean {
    return this.isActive && this.rec.internal_port === null && this.rec.pid !== null;
  }

  installed(): boolean {
    return isInstalled(this.tool, this.deps.config);
  }

  private update(changes: Partial<ToolRecord>): void {
    this.rec = { ...this.rec, ...changes };
    this.deps.onChange();
  }

  /** Notes the gateway's last activity in the record (kept across restarts). */
  noteActivity(at: string): void {
    this.rec = { ...this.rec, last_activity_at: at };
    this.deps.onChange();
  }

  note(line: string): void {
    if (this.detached) return;
    void this.deps.log
      .append(`[studio ${new Date().toISOString()}] ${line}\n`)
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, tool: this.tool.id }, "could not write to a tool log"),
      );
  }

  /** Why the tool cannot start now, or null. */
  startProblem(): string | null {
    const { tool, deps } = this;
    if (this.rec.state === "stopping") return `${tool.name} is stopping; start it again once it has stopped.`;
    if (!this.installed()) return notInstalledMessage(tool);
    const script = scriptPath(tool, "start", deps.config.repoDir);
    const problem = scriptProblem(script);
    return problem ? `${tool.name} cannot start: its start script ${script} ${problem}.` : null;
  }

  /**
   * Starts the tool for `artist`, unless it already runs. Answers at once with `started: true` when this
   * call launched it; the launch goes on in the background and shows in the status.
   */
  start(artist: string): { started: boolean } {
    if (this.rec.state === "starting" || this.rec.state === "running") return { started: false };
    const problem = this.startProblem();
    if (problem) throw conflict(problem);
    this.run++;
    this.ready = false;
    const run = this.run;
    this.update({
      ...EMPTY_RECORD,
      gpu: this.deps.gpu,
      state: "starting",
      owner: artist,
      started_at: new Date().toISOString(),
      last_activity_at: new Date().toISOString(),
    });
    this.launch(run, artist).catch((error: unknown) => {
      if (run !== this.run) return;
      const message = `${this.tool.name} could not be started: ${(error as Error).message}`;
      this.deps.logger.error({ err: error, tool: this.tool.id }, "tool launch failed");
      this.note(message);
      this.update({ state: "crashed", message, ended_at: new Date().toISOString() });
    });
    return { started: true };
  }

  private async launch(run: number, artist: string): Promise<void> {
    const { tool, deps } = this;
    const output = outputRoot(tool, deps.config.workspaceDir);
    if (output) await fs.mkdir(output, { recursive: true });
    await fs.mkdir(path.dirname(deps.log.file), { recursive: true });
    await deps.beforeStart?.();
    const port = await freeLoopbackPort();
    // The intent first: a studio killed from here on finds this run again by its marker.
    this.update({ ...this.proc.prepare(), internal_port: port });
    await deps.persist();
    if (run !== this.run || this.rec.state !== "starting") return;
    const where = deps.gpu === null ? "" : ` on GPU ${deps.gpu}`;
    this.note(
      `starting ${tool.name} for ${artist}${where} (internal port ${port}, public port ${this.publicPort})`,
    );
    const state = this.proc.start({
      script: scriptPath(tool, "start", deps.config.repoDir),
      cwd: deps.config.workspaceDir,
      env: {
        ...childEnv(deps.config, { user: artist, port, outputDir: output, gpu: deps.gpu }),
        ...(tool.upstreamToken && deps.secret
          ? { [tool.upstreamToken.env]: toolToken(deps.secret, tool.id) }
          : {}),
      },
      logFile: deps.log.file,
    });
    this.update(state);
    void deps.persist();
    deps.logger.info({ tool: tool.id, pid: state.pid, owner: artist, port }, "tool started");
    this.follow(run, this.proc.exited);
    await this.pollReady(run);
  }

  private async pollReady(run: number): Promise<void> {
    const { tool, deps } = this;
    const live = () => run === this.run && this.rec.state === "starting";
    while (live()) {
      const port = this.targetPort;
      // Not listening yet: look again soon (a cheap TCP connect, see tools/readiness.ts).
      if (port === null || (deps.settings.listenCheckMs > 0 && !(await isPortTaken(port, 1_000)))) {
        await new Promise((resolve) => setTimeout(resolve, deps.settings.listenCheckMs));
        continue;
      }
      if (await probe(port, tool.ready.path, tool.ready.accept)) {
        if (!live()) return;
        this.ready = true;
        const seconds = ((Date.now() - Date.parse(this.rec.started_at ?? "")) / 1000).toFixed(1);
        this.note(`${tool.name} is ready (answered ${tool.ready.path} after ${seconds} s)`);
        this.update({ state: "running" });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, deps.settings.readyIntervalMs));
    }
  }

  /** Watches the process of run `run`; when it ends unasked, the tool has crashed. */
  private follow(run: number, exited: Promise<ExitInfo> | undefined): void {
    void exited?.then(async (info) => {
      if (
        run !== this.run ||
        this.stopping ||
        !(this.rec.state === "starting" || this.rec.state === "running")
      )
        return;
      const how = !info.seen
        ? "its process ended while the studio was not watching (exit code unknown)"
        : info.signal
          ? `it was killed by ${info.signal}`
          : `it exited with code ${info.exitCode}`;
      const when = this.rec.state === "starting" ? "while starting" : "while running";
      const message = `${this.tool.name} stopped unexpectedly ${when}: ${how}.`;
      this.note(message);
      const tail = await tailLines(this.deps.log, 20);
      const hint = await this.deps.explain?.(await tailLines(this.deps.log, 200)).catch(() => null);
      this.ready = false;
      this.deps.logger.warn({ tool: this.tool.id, exit: info }, "tool crashed");
      this.update({
        state: "crashed",
        exit_code: info.exitCode,
        signal: info.signal,
        ended_at: new Date().toISOString(),
        message: hint ? `${message} ${hint}.` : message,
        log_tail: tail,
        pid: null,
      });
    });
  }

  /** Stops the tool (any state); concurrent stops share one ladder. `why` goes into its log and message. */
  async stop(by: string, why?: string): Promise<void> {
    if (this.stopping) return await this.stopping;
    if (this.rec.state !== "starting" && this.rec.state !== "running") return;
    this.stopping = this.runStop(by, why).finally(() => (this.stopping = undefined));
    await this.stopping;
  }

  private async runStop(by: string, why: string | undefined): Promise<void> {
    const { tool, deps } = this;
    const run = this.run;
    const port = this.targetPort;
    this.update({ state: "stopping" });
    this.note(`stopping ${tool.name} (${why ?? `asked by ${by}`})`);
    const { killed } = await this.proc.stop();
    if (killed) this.note(`${tool.name} did not stop within ${deps.settings.ladder.graceMs} ms: killed`);
    if (
      port !== null &&
      !(await waitUntil(async () => !(await isPortTaken(port)), deps.settings.ladder.portFreeMs))
    ) {
      deps.logger.error({ tool: tool.id, port }, "the tool's port is still taken after its processes ended");
    }
    const exit = await this.proc.exitAfterStop();
    if (run !== this.run) return;
    this.ready = false;
    this.note(`${tool.name} stopped`);
    deps.logger.info({ tool: tool.id, by, killed, why }, "tool stopped");
    this.update({
      state: "stopped",
      exit_code: exit ? exit.exitCode : null,
      signal: exit ? exit.signal : null,
      ended_at: new Date().toISOString(),
      message: `${why ?? `Stopped by ${by}`}${killed ? " (it had to be killed)" : ""}.`,
      pid: null,
    });
  }

  /** Stops watching (the studio is closing): no callback of a run seen so far changes or notes anything. */
  detach(): void {
    this.detached = true;
    this.run++;
  }

  /** Takes back a tool from a saved record: watches it when its process still lives, else marks it. */
  restore(saved: ToolRecord | null): "taken back" | "gone" | "idle" {
    const wasActive = saved !== null && ACTIVE_STATES.includes(saved.state);
    if (this.proc.loadState(wasActive ? saved : null)) {
      saved = { ...EMPTY_RECORD, ...saved, state: saved?.state === "stopping" ? "stopping" : "starting" };
      this.run++;
      const run = this.run;
      this.rec = {
        ...EMPTY_RECORD,
        ...saved,
        ...this.proc.getState(),
        gpu: this.deps.gpu,
        state: "starting",
      };
      // A run found without its record says in its environment which loopback port it was given.
      const port = Number(this.proc.env("PORT"));
      if (this.rec.internal_port === null && this.proc.env("LISTEN_HOST") !== null && port > 0)
        this.rec.internal_port = port;
      this.follow(run, this.proc.exited);
      this.note(`the studio restarted and took back ${this.tool.name} (pid ${this.rec.pid})`);
      if (saved.state === "stopping") {
        this.rec.state = "running";
        void this.stop("the studio", "A stop was under way when the studio restarted");
      } else {
        void this.pollReady(run);
      }
      this.deps.onChange();
      return "taken back";
    }
    if (saved === null) return "idle";
    if (wasActive) {
      this.rec = {
        ...EMPTY_RECORD,
        ...saved,
        ...EMPTY_PROCESS,
        gpu: this.deps.gpu,
        state: "stopped",
        ended_at: new Date().toISOString(),
        message: `${this.tool.name} was running when the studio stopped and had ended before it came back.`,
      };
      this.deps.onChange();
      return "gone";
    }
    this.rec = { ...EMPTY_RECORD, ...saved, pid: null, gpu: this.deps.gpu };
    return "idle";
  }
}
