/**
 * The five tools as data. Everything the studio does with a tool (scripts, port, readiness, installed
 * check, output folder) is read from here; no code branches on a tool id.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { TOOL_PORT_VARIABLES, type Config, type ToolId } from "../config.js";

export type { ToolId };

export const TOOL_ACTIONS = ["install", "start", "update", "reinstall", "kill"] as const;
export type ToolAction = (typeof TOOL_ACTIONS)[number];
/** The actions an admin may run as a job. */
export const ADMIN_ACTIONS = ["install", "reinstall", "update"] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export interface ToolDefinition {
  id: ToolId;
  name: string;
  /** The default port; the environment variable `portVariable` overrides it. */
  defaultPort: number;
  portVariable: string;
  /** Scripts live in `$REPO_DIR/{folder}/{action}_{stem}.sh`. */
  folder: string;
  stem: string;
  /** Installed when this folder exists under WORKSPACE_DIR, or (null) when the start script exists. */
  installedDir: string | null;
  /** Readiness: GET this path on the tool's port; `ok` = 200 only, `any` = any status below 500. */
  ready: { path: string; accept: "ok" | "any" };
  /** Whether the tool writes into the starting artist's own output folder. */
  perArtistOutput: boolean;
  /** One line for the page. */
  description: string;
  /**
   * When the studio has a password, the tool gets a token of its own in this environment variable, and the
   * page's Open link carries it as this query parameter (JupyterLab would otherwise give a shell to anyone).
   */
  auth?: { env: string; query: string; path: string };
  /** What a reinstall keeps (from the reinstall script), for the page's confirmation. */
  reinstallKeeps: string;
}

export const TOOLS: readonly ToolDefinition[] = [
  {
    id: "comfy-ui",
    name: "ComfyUI",
    defaultPort: 8188,
    portVariable: TOOL_PORT_VARIABLES["comfy-ui"],
    folder: "setup/comfy",
    stem: "comfy",
    installedDir: "ComfyUI",
    ready: { path: "/system_stats", accept: "ok" },
    perArtistOutput: true,
    description: "Node-based image and video generation; saves into your own output folder.",
    reinstallKeeps:
      "Kept: outputs, inputs, workflows and settings (user), every custom node and extra_model_paths.yaml are moved into the fresh copy; models stay in the shared models folder. The old folder is kept as ComfyUI.old-{time}.",
  },
  {
    id: "jupyter-lab",
    name: "JupyterLab",
    defaultPort: 8888,
    portVariable: TOOL_PORT_VARIABLES["jupyter-lab"],
    folder: "setup/jupyter",
    stem: "jupyter",
    installedDir: null,
    ready: { path: "/api", accept: "ok" },
    perArtistOutput: false,
    description: "Notebooks and a terminal on the pod's volume.",
    reinstallKeeps:
      "Only its Python environment is rebuilt: notebooks and files in the workspace are not touched.",
    auth: { env: "JUPYTER_TOKEN", query: "token", path: "/lab" },
  },
  {
    id: "ai-toolkit",
    name: "AI-Toolkit",
    defaultPort: 8675,
    portVariable: TOOL_PORT_VARIABLES["ai-toolkit"],
    folder: "setup/ai-toolkit",
    stem: "ai_toolkit",
    installedDir: "ai-toolkit",
    ready: { path: "/", accept: "any" },
    perArtistOutput: false,
    description: "LoRA training with a web UI.",
    reinstallKeeps:
      "Kept: training configs, datasets, outputs, models, custom, extensions, data, the UI's database (aitk_db.db) and .env are moved into the fresh copy. The old folder is kept as ai-toolkit.old-{time}.",
  },
  {
    id: "swarm-ui",
    name: "SwarmUI",
    defaultPort: 7861,
    portVariable: TOOL_PORT_VARIABLES["swarm-ui"],
    folder: "setup/swarm-ui",
    stem: "swarm_ui",
    installedDir: "SwarmUI",
    ready: { path: "/", accept: "any" },
    perArtistOutput: false,
    description: "A friendly generation UI on top of ComfyUI.",
    reinstallKeeps:
      "Kept: Data (settings, users, presets), Models, Output, dlbackend, training_data and src/Extensions are moved into the fresh copy. The old folder is kept as SwarmUI.old-{time}.",
  },
  {
    id: "lora-tool",
    name: "LoRA-Tool",
    defaultPort: 3000,
    portVariable: TOOL_PORT_VARIABLES["lora-tool"],
    folder: "setup/lora-tool",
    stem: "lora_tool",
    installedDir: null,
    ready: { path: "/", accept: "any" },
    perArtistOutput: false,
    description: "Prepare LoRA datasets: images, captions, auto-captioning.",
    reinstallKeeps:
      "Nothing is downloaded: it is rebuilt from the studio's own sources. Datasets and captions are not touched.",
  },
];

export const TOOL_IDS = TOOLS.map((tool) => tool.id);

export function findTool(id: unknown): ToolDefinition | undefined {
  return TOOLS.find((tool) => tool.id === id);
}

/** A tool bound to one studio's configuration: port, script paths, installed check. */
export interface Tool extends ToolDefinition {
  port: number;
}

export function bindTool(definition: ToolDefinition, config: Config): Tool {
  return { ...definition, port: config.toolPorts[definition.id] };
}

export function scriptPath(tool: ToolDefinition, action: ToolAction, repoDir: string): string {
  return path.join(repoDir, tool.folder, `${action}_${tool.stem}.sh`);
}

/**
 * Whether a tool is installed: its start script exists, or its folder under WORKSPACE_DIR exists. The
 * studio itself makes `ComfyUI/output/{user}` for every user, so a folder that holds only `output` does not
 * count as an installed ComfyUI.
 */
export function isInstalled(tool: ToolDefinition, config: Pick<Config, "repoDir" | "workspaceDir">): boolean {
  if (tool.installedDir === null) return existsSync(scriptPath(tool, "start", config.repoDir));
  try {
    return readdirSync(path.join(config.workspaceDir, tool.installedDir)).some((entry) => entry !== "output");
  } catch {
    return false;
  }
}

/** What a person is told to do when a tool is not installed. */
export function notInstalledMessage(tool: ToolDefinition): string {
  return tool.installedDir === null
    ? `${tool.name} is not installed: its start script ${tool.folder}/start_${tool.stem}.sh is missing from the studio's repository.`
    : `${tool.name} is not installed: ask an admin to switch admin mode on and click Install for ${tool.name}.`;
}

/** `https://{pod}-{port}.proxy.runpod.net`, or the host the page was loaded from. */
export function toolUrl(port: number, podId: string | undefined, pageHostname: string): string {
  if (podId) return `https://${podId}-${port}.proxy.runpod.net`;
  const host =
    pageHostname.includes(":") && !pageHostname.startsWith("[") ? `[${pageHostname}]` : pageHostname;
  return `http://${host}:${port}`;
}

/** The link that opens a tool, with its token when it has one. */
export function openUrl(tool: ToolDefinition, url: string, token: string | undefined): string {
  if (!tool.auth || !token) return url;
  return `${url}${tool.auth.path}?${tool.auth.query}=${encodeURIComponent(token)}`;
}
