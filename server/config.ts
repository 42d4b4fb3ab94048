/**
 * Environment -> one typed, validated Config.
 *
 * ```ts
 * const config = loadConfig(process.env); // throws ConfigError naming the variable
 * ```
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: two levels above this file, both from `server/` and from `dist/server/`. */
export function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "setup"))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export const TOOL_PORT_VARIABLES = {
  "comfy-ui": "COMFYUI_PORT",
  "jupyter-lab": "JUPYTER_PORT",
  "ai-toolkit": "AI_TOOLKIT_PORT",
  "swarm-ui": "SWARMUI_PORT",
  "lora-tool": "LORA_TOOL_PORT",
} as const;

export type ToolId = keyof typeof TOOL_PORT_VARIABLES;

export interface Secrets {
  studioPassword: string | undefined;
  adminPassword: string | undefined;
  /** Set later by the session module when it is not given. */
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
  toolPorts: Record<ToolId, number>;
  stopGraceMs: number;
  /** A tool or job log is rotated once it grows past this many bytes. */
  logMaxBytes: number;
  secrets: Secrets;
}

/** The environment variables that hold secrets: never passed to a child, never logged. */
export const SECRET_VARIABLES = [
  "STUDIO_PASSWORD",
  "ADMIN_PASSWORD",
  "SESSION_SECRET",
  "HF_TOKEN",
  "CIVITAI_TOKEN",
] as const;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number, what: string): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `"${raw}" is not ${what}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `"${raw}" is not ${what}`);
  return value;
}

function port(env: Env, name: string, fallback: number): number {
  return integer(env, name, fallback, 1, 65535, "a port (a whole number from 1 to 65535)");
}

function directory(env: Env, name: string, fallback: string, base: string, create: boolean): string {
  const raw = nonEmpty(env, name);
  const resolved = path.resolve(base, raw ?? fallback);
  if (create) {
    try {
      mkdirSync(resolved, { recursive: true });
    } catch (error) {
      throw new ConfigError(name, `cannot create "${resolved}": ${(error as Error).message}`);
    }
  }
  return resolved;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const repoDir = directory(env, "REPO_DIR", findRepoRoot(), cwd, false);
  if (!existsSync(repoDir)) throw new ConfigError("REPO_DIR", `"${repoDir}" does not exist`);
  const defaultWorkspace = existsSync("/workspace") ? "/workspace" : path.join(repoDir, "workspace");
  const workspaceDir = directory(env, "WORKSPACE_DIR", defaultWorkspace, cwd, true);
  const stateDir = directory(env, "STATE_DIR", path.join(workspaceDir, ".comfystudio"), cwd, true);
  const usersFile = path.resolve(cwd, nonEmpty(env, "USERS_FILE") ?? path.join(repoDir, "artist_names.sh"));
  const host = nonEmpty(env, "HOST") ?? "0.0.0.0";
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ConfigError("HOST", `"${host}" is not an address`);
  const podId = nonEmpty(env, "RUNPOD_POD_ID");
  if (podId !== undefined && !/^[A-Za-z0-9-]+$/.test(podId)) {
    throw new ConfigError("RUNPOD_POD_ID", `"${podId}" is not a pod id (letters, digits and dashes)`);
  }
  const toolPorts = {} as Record<ToolId, number>;
  const defaults: Record<ToolId, number> = {
    "comfy-ui": 8188,
    "jupyter-lab": 8888,
    "ai-toolkit": 8675,
    "swarm-ui": 7861,
    "lora-tool": 3000,
  };
  for (const [id, variable] of Object.entries(TOOL_PORT_VARIABLES) as [ToolId, string][]) {
    toolPorts[id] = port(env, variable, defaults[id]);
  }
  const studioPort = port(env, "PORT", 8080);
  const taken = new Map<number, string>([[studioPort, "PORT"]]);
  for (const [id, variable] of Object.entries(TOOL_PORT_VARIABLES) as [ToolId, string][]) {
    const other = taken.get(toolPorts[id]);
    if (other) throw new ConfigError(variable, `port ${toolPorts[id]} is already used by ${other}`);
    taken.set(toolPorts[id], variable);
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
    stopGraceMs: integer(env, "STOP_GRACE_MS", 10_000, 0, 3_600_000, "a number of milliseconds"),
    logMaxBytes: integer(
      env,
      "LOG_MAX_BYTES",
      32 * 1024 * 1024,
      4096,
      2 ** 40,
      "a number of bytes (4096 or more)",
    ),
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

/** A copy of `env` without the studio's secrets: what every child process gets. */
export function withoutSecrets(env: Env): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !(SECRET_VARIABLES as readonly string[]).includes(key)) clean[key] = value;
  }
  return clean;
}
