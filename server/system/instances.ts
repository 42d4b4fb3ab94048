/**
 * How many instances each tool runs (COMFYUI_INSTANCES: a number, or `auto` = one per GPU; only tools
 * whose registry entry says `perGpu`), and which GPU each is pinned to. One instance is not pinned, so the
 * default behaves exactly as a single tool. Also the disks the studio reports.
 */
import type { Config } from "../config.js";
import { TOOLS, type ToolId } from "../tools/registry.js";
import { gpuCount } from "./gpus.js";

export async function instancesFor(
  config: Config,
  countGpus: () => Promise<number> = gpuCount,
): Promise<Partial<Record<ToolId, (number | null)[]>>> {
  const wanted = config.comfyInstances === "auto" ? await countGpus() : config.comfyInstances;
  const out: Partial<Record<ToolId, (number | null)[]>> = {};
  if (wanted <= 1) return out;
  for (const tool of TOOLS) {
    if ("perGpu" in tool && tool.perGpu) out[tool.id] = Array.from({ length: wanted }, (_, index) => index);
  }
  return out;
}

/** The workspace volume and the container's root. */
export const diskPaths = (config: Pick<Config, "workspaceDir">) => [config.workspaceDir, "/"];
