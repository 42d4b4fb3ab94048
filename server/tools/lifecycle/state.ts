/**
 * What the lifecycle steps of one tool instance share: its record, its managed process (tagged as this
 * studio's instance), the run counter, whether it answered, the stop under way, and whether the studio
 * still watches it. `update` changes the record and tells the manager; `note` writes a line into the
 * tool's log.
 *
 * ```ts
 * const instance = new InstanceState(tool, 8188, deps);
 * instance.update({ state: "starting", owner: "Rosa Macak" });   // deps.onChange() follows
 * instance.note("starting ComfyUI for Rosa Macak");               // "[studio 2025-...] starting ..."
 * instance.targetPort;                                            // the internal port, or null
 * ```
 */
import { studioNote } from "../../logs/note.js";
import { ACTIVE_STATES } from "../../api.js";
import { ManagedProcess } from "../../process/managed.js";
import type { ToolRecord } from "../../state/schemas.js";
import { EMPTY_RECORD, INSTANCE_TAG, TOOL_MARKER, type SupervisorDeps } from "../instance.js";
import type { ToolDefinition } from "../registry.js";

export class InstanceState {
  rec: ToolRecord;
  readonly proc: ManagedProcess;
  /** Bumped on every launch and take-back; callbacks of an older run are ignored. */
  run = 0;
  stopping: Promise<void> | undefined;
  ready = false;
  /** Set when the studio closes: the process runs on, and the next studio watches it. */
  detached = false;
  /** The files a launch writes before it spawns (folders, ComfyUI's users), while it writes them. */
  preparing: Promise<void> | undefined;

  constructor(
    readonly tool: ToolDefinition,
    readonly publicPort: number,
    readonly deps: SupervisorDeps,
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

  get isActive(): boolean {
    return ACTIVE_STATES.includes(this.rec.state);
  }

  /** Where the gateway forwards to: the internal port, or the public one for a tool from before the gateway. */
  get targetPort(): number | null {
    if (!this.isActive) return null;
    return this.rec.internal_port ?? (this.rec.pid !== null ? this.publicPort : null);
  }

  update(changes: Partial<ToolRecord>): void {
    this.rec = { ...this.rec, ...changes };
    this.deps.onChange();
  }

  note(line: string): void {
    if (this.detached) return;
    void this.deps.log
      .append(studioNote(line))
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, tool: this.tool.id }, "could not write to a tool log"),
      );
  }
}
