/**
 * All tools of one studio: one supervisor each, their records saved to `STATE_DIR/state.json` after every
 * change, and taken back from it at start.
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
import type { LogStore } from "../logs/logfile.js";
import { JsonFile } from "../state/atomic.js";
import { toolsState } from "../state/shape.js";
import { toolToken } from "../util/secrets.js";
import { bindTool, TOOLS, type ToolId } from "./registry.js";
import { DEFAULT_SETTINGS, ToolSupervisor, type SupervisorSettings, type ToolRecord } from "./supervisor.js";

interface SavedState {
  version: 1;
  tools: Partial<Record<ToolId, ToolRecord>>;
}

export interface ToolManagerOptions {
  config: Config;
  logs: LogStore;
  logger: Logger;
  settings?: Partial<SupervisorSettings>;
  /** Signs the tools' own tokens; they are given only when the studio has a password. */
  sessionSecret?: string;
}

export class ToolManager {
  readonly supervisors: ToolSupervisor[];
  private readonly file: JsonFile<SavedState>;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private loadWarning: string | undefined;
  private closed = false;

  constructor(private readonly options: ToolManagerOptions) {
    const { config, logs, logger } = options;
    const settings = { ...DEFAULT_SETTINGS, graceMs: config.stopGraceMs, ...options.settings };
    this.file = new JsonFile<SavedState>(path.join(config.stateDir, "state.json"), {
      validate: toolsState<SavedState>(TOOLS.map((tool) => tool.id)),
    });
    this.supervisors = TOOLS.map(
      (definition) =>
        new ToolSupervisor(bindTool(definition, config), {
          config,
          log: logs.get(`${definition.id}.log`),
          logger,
          outputRoot: path.join(config.workspaceDir, "ComfyUI", "output"),
          settings,
          onChange: () => this.scheduleSave(),
          token:
            definition.auth && config.secrets.studioPassword && options.sessionSecret
              ? toolToken(options.sessionSecret, definition.id)
              : undefined,
        }),
    );
  }

  get(id: string): ToolSupervisor | undefined {
    return this.supervisors.find((supervisor) => supervisor.tool.id === id);
  }

  get warnings(): string[] {
    return this.loadWarning ? [this.loadWarning] : [];
  }

  /** Reads state.json and takes back every tool whose process still lives. */
  async load(): Promise<void> {
    const { value, warning } = await this.file.read();
    this.loadWarning = warning;
    if (warning) this.options.logger.warn(warning);
    const saved =
      value && typeof value === "object" && value.tools && typeof value.tools === "object" ? value.tools : {};
    for (const supervisor of this.supervisors) {
      const record = saved[supervisor.tool.id];
      if (!record || typeof record !== "object") continue;
      const outcome = supervisor.restore(record);
      if (outcome !== "idle")
        this.options.logger.info({ tool: supervisor.tool.id, outcome }, "tool state restored");
    }
    await this.save();
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, 0);
  }

  /** Writes state.json now (atomically); a failure is logged and the old file survives. */
  save(): Promise<void> {
    const tools: SavedState["tools"] = {};
    for (const supervisor of this.supervisors) tools[supervisor.tool.id] = { ...supervisor.record };
    this.saving = this.file.write({ version: 1, tools }).catch((error: unknown) => {
      this.options.logger.error({ err: error }, "could not save state.json; the previous state is kept");
    });
    return this.saving;
  }

  /** Writes what is pending and stops saving: the tools run on, and the next studio takes them back. */
  async close(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      await this.save();
    }
    this.closed = true;
    await this.saving;
  }
}
