/**
 * What a tool instance is made of: its saved record (empty), its settings and what it depends on, and the
 * markers its processes carry.
 */
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { LogFile } from "../logs/logfile.js";
import type { StopLadder } from "../process/ladder.js";
import { EMPTY_PROCESS } from "../process/managed.js";
import type { ToolRecord } from "../state/schemas.js";

/** The environment variable that marks every process of a tool's run (see process/managed.ts). */
export const TOOL_MARKER = "STUDIO_RUN_ID";
/** The environment variable that names the tool instance a process belongs to (`{tool_id}@{index}@{STATE_DIR}`). */
export const INSTANCE_TAG = "STUDIO_TOOL_INSTANCE";

export interface SupervisorSettings {
  /**
   * While a starting tool does not listen yet, a TCP connect is tried each time it writes to its log and
   * otherwise this often (0: HTTP probes only, every `readyIntervalMs`).
   */
  listenCheckMs: number;
  /** How often readiness is probed over HTTP once the tool listens. */
  readyIntervalMs: number;
  /** How often a taken-back process (not our child) is checked for life. */
  foreignPollMs: number;
  ladder: StopLadder;
}

export interface SupervisorDeps {
  config: Config;
  log: LogFile;
  logger: Logger;
  settings: SupervisorSettings;
  /** The GPU this instance is pinned to (CUDA_VISIBLE_DEVICES), or null. */
  gpu: number | null;
  /** The instance's index among the tool's instances. */
  index: number;
  /** Called after every change of the record. */
  onChange: () => void;
  /** Saves state.json now: awaited before a spawn, so a crash at any moment finds the run again. */
  persist: () => Promise<void>;
  /** Work a start needs first (ComfyUI's users file, see gateway/comfy-users.ts). */
  beforeStart?: () => Promise<void>;
  /** Signs the tool's own token (registry `upstreamToken`). */
  secret?: string;
  /** Why a crash happened, from the end of its log (GPU memory, disk), or null. */
  explain?: (tail: string) => Promise<string | null>;
}

export const EMPTY_RECORD: ToolRecord = {
  ...EMPTY_PROCESS,
  state: "stopped",
  owner: null,
  internal_port: null,
  gpu: null,
  started_at: null,
  ended_at: null,
  exit_code: null,
  signal: null,
  message: null,
  log_tail: null,
  last_activity_at: null,
};
