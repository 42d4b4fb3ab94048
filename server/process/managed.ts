/**
 * One managed process group: the unit the tool supervisor and the job runner both run on. Its contract
 * follows JupyterHub's Spawner: `start`, `poll`, `stop`, `getState`, `loadState`.
 *
 * Every run has a run id, carried in the environment of all its processes (`{marker}={run id}`). The run
 * id is made by `prepare()` and can be saved before anything is spawned, so that a studio killed at any
 * moment of a start finds the run's processes again (by pid and start time, or by the marker).
 *
 * ```ts
 * const proc = new ManagedProcess({ marker: "STUDIO_RUN_ID", ladder, foreignPollMs: 500 });
 * proc.prepare();  await save(proc.getState());   // the intent, saved first
 * proc.start({ script, cwd, env, logFile });       // spawned in its own group
 * await proc.exited;                                // { exitCode, signal, seen }
 * await proc.stop();                                // the stop ladder (process/ladder.ts)
 * proc.loadState(saved);                            // after a restart: true when it still runs
 * ```
 */
import { randomUUID } from "node:crypto";
import type { ProcessState } from "../state/schemas.js";
import { stopGroup, type StopLadder, type StopResult } from "./ladder.js";
import {
  envOf,
  groupsWithEnv,
  identify,
  isGroupAlive,
  isSameProcessAlive,
  type ProcessIdentity,
} from "./proc.js";
import { spawnGroup, watchForeign, type ExitInfo, type SpawnOptions } from "./spawn.js";

export type { ProcessState };

export interface ManagedProcessOptions {
  /** The environment variable that carries the run id to every process of the run. */
  marker: string;
  /**
   * A name and value every run of this unit carries (a tool instance's own), by which its processes are
   * found even when no state was saved at all (a full disk, a crash before the first save).
   */
  tag?: { name: string; value: string };
  ladder: StopLadder;
  /** How often a taken-back run (not our child) is checked for life. */
  foreignPollMs: number;
}

export const EMPTY_PROCESS: ProcessState = {
  pid: null,
  pgid: null,
  start_ticks: null,
  boot_id: null,
  run_id: null,
};

export class ManagedProcess {
  private state: ProcessState = { ...EMPTY_PROCESS };
  private exit: Promise<ExitInfo> | undefined;

  constructor(private readonly options: ManagedProcessOptions) {}

  /** A new run: its id is set (and can be saved) before anything is spawned. */
  prepare(runId: string = randomUUID()): ProcessState {
    this.state = { ...EMPTY_PROCESS, run_id: runId };
    this.exit = undefined;
    return this.getState();
  }

  /** Spawns the prepared run (preparing one when there is none) as a process group of its own. */
  start(spec: SpawnOptions): ProcessState {
    const runId = this.state.run_id ?? this.prepare().run_id!;
    const tag = this.options.tag ? { [this.options.tag.name]: this.options.tag.value } : {};
    const handle = spawnGroup({ ...spec, env: { ...spec.env, ...tag, [this.options.marker]: runId } });
    this.exit = handle.exited;
    if (handle.pid > 1) {
      this.state = {
        pid: handle.pid,
        pgid: handle.pgid,
        start_ticks: handle.startTicks,
        boot_id: handle.bootId,
        run_id: runId,
      };
    }
    return this.getState();
  }

  /** Resolves when the run ends: seen for our own child, polled for a taken-back one. */
  get exited(): Promise<ExitInfo> | undefined {
    return this.exit;
  }

  private get identity(): ProcessIdentity | null {
    const { pid, pgid, start_ticks, boot_id } = this.state;
    return pid === null ? null : { pid, pgid: pgid ?? pid, startTicks: start_ticks, bootId: boot_id };
  }

  /** Whether the run still has a living process. */
  poll(): boolean {
    const identity = this.identity;
    if (identity && isSameProcessAlive(identity)) return true;
    return this.state.pgid !== null && isGroupAlive(this.state.pgid);
  }

  /** The groups of this run: its own, and any other that carries its marker or the unit's tag (a daemon that left). */
  private groups(): number[] {
    const groups = new Set<number>();
    if (this.state.pgid !== null && this.state.pgid > 1) groups.add(this.state.pgid);
    if (this.state.run_id)
      for (const group of groupsWithEnv(this.options.marker, this.state.run_id)) groups.add(group);
    const { tag } = this.options;
    if (tag) for (const group of groupsWithEnv(tag.name, tag.value)) groups.add(group);
    return [...groups];
  }

  /** The groups a run of this unit left: by the saved run id, else by the unit's tag. */
  private findGroups(): number[] {
    if (this.state.run_id) {
      const groups = groupsWithEnv(this.options.marker, this.state.run_id);
      if (groups.length > 0) return groups;
    }
    return this.options.tag ? groupsWithEnv(this.options.tag.name, this.options.tag.value) : [];
  }

  /** Ends every group of the run with the stop ladder. */
  async stop(): Promise<StopResult> {
    const results = await Promise.all(
      this.groups().map((group) =>
        stopGroup(group, this.options.ladder, group === this.state.pgid ? this.exit : undefined),
      ),
    );
    return {
      killed: results.some((result) => result.killed),
      gone: results.every((result) => result.gone),
    };
  }

  /** How long to wait for the exit to be seen after a stop: the ladder's kill wait. */
  async exitAfterStop(): Promise<ExitInfo | undefined> {
    if (!this.exit) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.options.ladder.killWaitMs);
    });
    const exit = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    return exit;
  }

  /** A variable of the run's environment (read from its leader), or null. */
  env(name: string): string | null {
    return this.state.pid === null ? null : envOf(this.state.pid, name);
  }

  getState(): ProcessState {
    return { ...this.state };
  }

  /**
   * Takes back a saved run: true when one of its processes still lives (then `exited` watches it). It is
   * found by its saved identity, else by its marker (a studio that died between the spawn and the save),
   * else by the unit's tag (nothing saved at all). `saved` null: look by the tag only.
   */
  loadState(saved: ProcessState | null): boolean {
    this.state = { ...EMPTY_PROCESS, ...saved };
    this.exit = undefined;
    const identity = saved ? this.identity : null;
    // Without its start time a pid could belong to any process now: only a known process counts.
    if (identity && identity.startTicks !== null && isSameProcessAlive(identity)) {
      this.exit = watchForeign(() => isSameProcessAlive(identity), this.options.foreignPollMs);
      return true;
    }
    const groups = this.findGroups();
    const group = groups[0];
    if (group === undefined) {
      this.state = { ...EMPTY_PROCESS, run_id: this.state.run_id };
      return false;
    }
    const leader = isSameProcessAlive(identify(group)) ? identify(group) : null;
    this.state = {
      pid: leader?.pid ?? group,
      pgid: group,
      start_ticks: leader?.startTicks ?? null,
      boot_id: leader?.bootId ?? null,
      run_id: this.state.run_id,
    };
    this.exit = watchForeign(() => groups.some((pgid) => isGroupAlive(pgid)), this.options.foreignPollMs);
    return true;
  }

  /** Forgets the run (after it ended). */
  clear(): void {
    this.state = { ...EMPTY_PROCESS };
    this.exit = undefined;
  }
}
