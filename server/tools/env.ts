/**
 * The environment a tool's start script or a job's script gets: the studio's own environment without its
 * secrets, plus where things are and who asked.
 */
import path from "node:path";
import { withoutSecrets, type Config } from "../config.js";

export interface ChildEnvOptions {
  /** The artist who started the tool, or the admin who asked for the job. */
  user: string;
  port?: number;
  outputDir?: string;
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
  env.HF_HOME =
    base.HF_HOME && base.HF_HOME !== ""
      ? base.HF_HOME
      : path.join(config.workspaceDir, ".cache", "huggingface");
  if (options.port !== undefined) env.PORT = String(options.port);
  else delete env.PORT;
  if (options.outputDir !== undefined) env.OUTPUT_DIR = options.outputDir;
  else delete env.OUTPUT_DIR;
  env.PYTHONUNBUFFERED = "1";
  return env;
}
