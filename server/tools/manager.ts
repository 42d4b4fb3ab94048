/**
 * All tools of one studio: one supervisor per instance (one for every tool, one per GPU for ComfyUI with
 * COMFYUI_INSTANCES), their records saved to `STATE_DIR/state.json` after every change, and taken back
 * from it at start.
 *
 * ```ts
 * const tools = new ToolManager({ config, logs, logger });
 * await tools.load();                 // takes back tools still running
 * tools.get("comfy-ui")?.start("Rosa");
 * ```
 */
import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { LogFile, LogStore } from "../logs/logfile.js";
import { ladderSettings, type StopLadder } from "../process/ladder.js";
import { JsonFile } from "../state/atomic.js";
import { Saver } from "../state/saver.js";
import { parseWith, toolsStateSchema, type ToolRecord, type ToolsState } from "../state/schemas.js";
import { TOOLS, TOOL_IDS, type ToolDefinition, type ToolId } from "./registry.js";
import { ToolSupervisor, type SupervisorSettings } from "./supervisor.js";

export interface ToolSettings {
  listenCheckMs: number;
  readyIntervalMs: number;
  foreignPollMs: number;
  ladder: Partial<StopLadder>;
}

export const DEFAULT_TOOL_SETTINGS = { listenCheckMs: 250, readyIntervalMs: 20, foreignPollMs: 500 };

export interface ToolManagerOptions {
  config: Config;
  logs: LogStore;
  logger: Logger;
  settings?: Partial<ToolSettings>;
  /** Per tool, the GPU of each instance (null: not pinned); one unpinned instance when not given. */
  instances?: Partial<Record<ToolId, (number | null)[]>>;
  /** Per tool, work a start of its instance `index` needs first. */
  beforeStart?: (tool: ToolDefinition, index: number) => Promise<void>;
  /** Signs tools' own tokens (registry `upstreamToken`). */
  secret?: string;
  /** Why an instance crashed, from the end of its log (see system/system.ts). */
  explain?: (tool: ToolDefinition, gpu: number | null, tail: string) => Promise<string | null>;
}

/** A tool instance's log: `{tool_id}.log` for the first, `{tool_id}@{n}.log` for the others. */
export const instanceLogName = (id: string, index: number) =>
  index === 0 ? `${id}.log` : `${id}@${index}.log`;

export class ToolManager {
  private readonly byTool = new Map<string, ToolSupervisor[]>();
  private readonly file: JsonFile<ToolsState>;
  private readonly saver: Saver<ToolsState>;
  private loadWarning: string | undefined;

  constructor(private readonly options: ToolManagerOptions) {
    const { config, logs, logger } = options;
    const settings: SupervisorSettings = {
      ...DEFAULT_TOOL_SETTINGS,
      ...options.settings,
      ladder: ladderSettings(config.stopGraceMs, options.settings?.ladder),
    };
    this.file = new JsonFile<ToolsState>(path.join(config.stateDir, "state.json"), {
      validate: parseWith(toolsStateSchema(TOOL_IDS)),
    });
    this.saver = new Saver(this.file, () => this.snapshot(), { what: "state.json", logger });
    for (const tool of TOOLS) {
      const gpus = options.instances?.[tool.id] ?? [null];
      this.byTool.set(
        tool.id,
        gpus.map(
          (gpu, index) =>
            new ToolSupervisor(tool, config.toolPorts[tool.id], {
              config,
              log: logs.get(instanceLogName(tool.id, index)),
              logger,
              settings,
              gpu,
              index,
              onChange: () => this.saver.schedule(),
              persist: async () => void (await this.saver.flush()),
              beforeStart: options.beforeStart ? () => options.beforeStart!(tool, index) : undefined,
              secret: options.secret,
              explain: options.explain ? (tail) => options.explain!(tool, gpu, tail) : undefined,
            }),
        ),
      );
    }
  }

  get tools(): readonly ToolDefinition[] {
    return TOOLS;
  }

  /** The tool's first instance (the only one for every tool but a multi-GPU ComfyUI). */
  get(id: string): ToolSupervisor | undefined {
    return this.byTool.get(id)?.[0];
  }

  instances(id: string): readonly ToolSupervisor[] {
    return this.byTool.get(id) ?? [];
  }

  /** Every instance of every tool. */
  all(): ToolSupervisor[] {
    return [...this.byTool.values()].flat();
  }

  /** The log of a tool's instance `index`. */
  log(id: string, index = 0): LogFile | undefined {
    return this.byTool.has(id) && index < this.instances(id).length
      ? this.options.logs.get(instanceLogName(id, index))
      : undefined;
  }

  get warnings(): string[] {
    return this.loadWarning ? [this.loadWarning] : [];
  }

  private snapshot(): ToolsState {
    const tools: Record<string, ToolRecord[]> = {};
    for (const [id, instances] of this.byTool)
      tools[id] = instances.map((instance) => ({ ...instance.record }));
    return { version: 2, tools };
  }

  /** Reads state.json and takes back every tool instance whose process still lives. */
  async load(): Promise<void> {
    const { value, warning } = await this.file.read();
    this.loadWarning = warning;
    if (warning) this.options.logger.warn(warning);
    for (const [id, instances] of this.byTool) {
      const records = value?.tools[id] ?? [];
      // Every instance is looked for, saved or not: a run whose state was never written is found by its tag.
      instances.forEach((instance, index) => {
        const outcome = instance.restore(records[index] ?? null);
        if (outcome !== "idle") this.options.logger.info({ tool: id, index, outcome }, "tool state restored");
      });
      records.forEach((record, index) => {
        const instance = instances[index];
        if (!instance) {
          if (record.state !== "stopped" && record.state !== "crashed") {
            this.options.logger.warn(
              { tool: id, index, pid: record.pid },
              "a saved instance has no place in this configuration",
            );
          }
        }
      });
    }
    this.saver.schedule();
    await this.saver.flush();
  }

  /** Writes what is pending and stops saving: the tools run on, and the next studio takes them back. */
  async close(): Promise<void> {
    await this.saver.close();
    await Promise.all(this.all().map((instance) => instance.detach()));
  }
}
