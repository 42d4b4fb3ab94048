/**
 * The environment a tool's start script or a job's script gets: the studio's own environment without its
 * secrets, plus where things are, where to listen and who asked.
 */
import path from "node:path";
import { withoutSecrets } from "../config/secrets.js";
import type { Config } from "../config.js";

/** Where tools listen: loopback only, behind the gateway. */
export const LISTEN_HOST = "127.0.0.1";

export interface ChildEnvOptions {
  /** The artist who started the tool, or the admin who asked for the job. */
  user: string;
  /** A tool's internal port. */
  port?: number;
  outputDir?: string;
  /** The GPU a tool instance is pinned to. */
  gpu?: number | null;
}

export function childEnv(
  config: Config,
  options: ChildEnvOptions,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env = withoutSecrets(base);
  env.STUDIO_USER = options.user;
  env.WORKSPACE_DIR = config.workspaceDir;
  env.REPO_DIR = config.repoDir;
  env.STATE_DIR = config.stateDir;
  env.STOP_GRACE_MS = String(config.stopGraceMs);
  env.HF_HOME =
    base.HF_HOME && base.HF_HOME !== ""
      ? base.HF_HOME
      : path.join(config.workspaceDir, ".cache", "huggingface");
  delete env.PORT;
  delete env.OUTPUT_DIR;
  delete env.LISTEN_HOST;
  if (options.port !== undefined) {
    env.PORT = String(options.port);
    env.LISTEN_HOST = LISTEN_HOST;
  }
  if (options.outputDir !== undefined) env.OUTPUT_DIR = options.outputDir;
  if (options.gpu !== undefined && options.gpu !== null) env.CUDA_VISIBLE_DEVICES = String(options.gpu);
  env.PYTHONUNBUFFERED = "1";
  return env;
}
