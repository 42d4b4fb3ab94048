/**
 * Environment -> one typed, validated Config. The tools' port variables come from the registry.
 *
 * ```ts
 * const config = loadConfig(process.env); // throws ConfigError naming the variable and the value
 * ```
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./config/root.js";
import {
  ConfigError,
  nonEmpty,
  readChoice,
  readDirectory,
  readHost,
  readInteger,
  readList,
  readMinutes,
  readPort,
  trimmed,
  type Env,
} from "@comfystudio/kit/env";
import { TOOL_IDS, TOOLS, type ToolId } from "./tools/registry.js";

export { ConfigError };
export { findRepoRoot } from "./config/root.js";
export { SECRET_VARIABLES, withoutSecrets } from "./config/secrets.js";
export type { ToolId };

/** Each tool's port variable (`COMFYUI_PORT`...), from the registry. */
export const TOOL_PORT_VARIABLES = Object.fromEntries(
  TOOLS.map((tool) => [tool.id, tool.port.variable]),
) as Record<ToolId, string>;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Secrets {
  studioPassword: string | undefined;
  adminPassword: string | undefined;
  /** Made and kept in STATE_DIR by the session module when it is not given. */
  sessionSecret: string | undefined;
  hfToken: string | undefined;
  civitaiToken: string | undefined;
}

export interface Config {
  port: number;
  host: string;
  workspaceDir: string;
  repoDir: string;
  usersFile: string;
  stateDir: string;
  runpodPodId: string | undefined;
  /** The public port of each tool (the gateway listens there). */
  toolPorts: Record<ToolId, number>;
  /** Tools only admins may open. */
  adminOnlyTools: ToolId[];
  /** Who may change a tool itself from inside it (the registry's `changes`, e.g. ComfyUI-Manager). */
  toolChangesBy: "admins" | "everyone";
  stopGraceMs: number;
  /** A tool or job log is rotated once it grows past this many bytes. */
  logMaxBytes: number;
  logLevel: LogLevel;
  /** Minutes without activity before a tool is stopped (0: never). */
  idleStopMinutes: number;
  /** Minutes with nothing running and nobody around before the pod is stopped (0: never). */
  idleStopPodMinutes: number;
  /** How many ComfyUI instances: a number, or one per GPU. */
  comfyInstances: number | "auto";
  secrets: Secrets;
}

function comfyInstances(env: Env): number | "auto" {
  const raw = trimmed(env, "COMFYUI_INSTANCES");
  if (raw === "auto") return "auto";
  return readInteger(env, "COMFYUI_INSTANCES", {
    fallback: 1,
    min: 1,
    max: 16,
    what: 'a number of instances from 1 to 16, or "auto"',
  });
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const repoDir = readDirectory(env, "REPO_DIR", { fallback: REPO_ROOT, base: cwd, create: false });
  if (!existsSync(repoDir)) throw new ConfigError("REPO_DIR", `"${repoDir}" does not exist`);
  const defaultWorkspace = existsSync("/workspace") ? "/workspace" : path.join(repoDir, "workspace");
  const workspaceDir = readDirectory(env, "WORKSPACE_DIR", {
    fallback: defaultWorkspace,
    base: cwd,
    create: true,
  });
  const stateDir = readDirectory(env, "STATE_DIR", {
    fallback: path.join(workspaceDir, ".comfystudio"),
    base: cwd,
    create: true,
  });
  const usersFile = path.resolve(cwd, trimmed(env, "USERS_FILE") ?? path.join(repoDir, "artist_names.sh"));
  const host = readHost(env, "HOST", "0.0.0.0");
  const podId = trimmed(env, "RUNPOD_POD_ID");
  if (podId !== undefined && !/^[A-Za-z0-9-]+$/.test(podId)) {
    throw new ConfigError("RUNPOD_POD_ID", `"${podId}" is not a pod id (letters, digits and dashes)`);
  }
  const studioPort = readPort(env, "PORT", 8080);
  const taken = new Map<number, string>([[studioPort, "PORT"]]);
  const toolPorts = {} as Record<ToolId, number>;
  for (const tool of TOOLS) {
    const port = readPort(env, tool.port.variable, tool.port.default);
    const other = taken.get(port);
    if (other) throw new ConfigError(tool.port.variable, `port ${port} is already used by ${other}`);
    taken.set(port, tool.port.variable);
    toolPorts[tool.id] = port;
  }
  return {
    port: studioPort,
    host,
    workspaceDir,
    repoDir,
    usersFile,
    stateDir,
    runpodPodId: podId,
    toolPorts,
    adminOnlyTools: readList(env, "ADMIN_ONLY_TOOLS", TOOL_IDS),
    toolChangesBy: readChoice(env, "TOOL_CHANGES_BY", ["admins", "everyone"] as const, "admins"),
    stopGraceMs: readInteger(env, "STOP_GRACE_MS", {
      fallback: 10_000,
      min: 0,
      max: 3_600_000,
      what: "a number of milliseconds",
    }),
    logMaxBytes: readInteger(env, "LOG_MAX_BYTES", {
      fallback: 32 * 1024 * 1024,
      min: 4096,
      max: 2 ** 40,
      what: "a number of bytes (4096 or more)",
    }),
    logLevel: readChoice(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    idleStopMinutes: readMinutes(env, "IDLE_STOP_MINUTES"),
    idleStopPodMinutes: readMinutes(env, "IDLE_STOP_POD_MINUTES"),
    comfyInstances: comfyInstances(env),
    secrets: {
      studioPassword: nonEmpty(env, "STUDIO_PASSWORD"),
      adminPassword: nonEmpty(env, "ADMIN_PASSWORD"),
      sessionSecret: nonEmpty(env, "SESSION_SECRET"),
      hfToken: nonEmpty(env, "HF_TOKEN"),
      civitaiToken: nonEmpty(env, "CIVITAI_TOKEN"),
    },
  };
}

/** The settings worth showing an operator: everything but the secrets. */
export function publicConfig(config: Config) {
  return {
    workspace_dir: config.workspaceDir,
    repo_dir: config.repoDir,
    state_dir: config.stateDir,
    users_file: config.usersFile,
    runpod_pod_id: config.runpodPodId ?? null,
  };
}
