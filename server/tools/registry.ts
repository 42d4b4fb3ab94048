/**
 * The five tools as data. Everything the studio does with a tool (its port and the variable that sets it,
 * scripts, readiness, installed check, output folders, what the gateway adds to its requests, how busy it
 * is) is read from here; no code branches on a tool id.
 */
import { AI_TOOLKIT_CHANGES, COMFY_CHANGES, SWARM_CHANGES, type ToolChanges } from "./changes.js";

export const TOOL_ACTIONS = ["install", "start", "update", "reinstall", "kill"] as const;
export type ToolAction = (typeof TOOL_ACTIONS)[number];
/** The actions an admin may run as a job. */
export const ADMIN_ACTIONS = ["install", "reinstall", "update"] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/**
 * When a tool counts as installed. Paths may start with `{workspace}/` or `{repo}/`.
 * - `folder`: the folder under WORKSPACE_DIR holds something besides `ignore` (what the studio itself makes).
 * - `file`: one of these files exists.
 * - `script`: its start script exists (it ships with the studio).
 */
export type InstalledRule =
  | { readonly kind: "folder"; readonly path: string; readonly ignore: readonly string[] }
  | { readonly kind: "file"; readonly paths: readonly string[] }
  | { readonly kind: "script" };

/** Request rewrites the gateway applies to a tool (implemented in gateway/rewrites/). */
export type GatewayRewrite = "comfy-user" | "filename-prefix";

export interface ToolDefinition {
  readonly id: string;
  readonly name: string;
  /** The public port and the environment variable that changes it. */
  readonly port: { readonly variable: string; readonly default: number };
  /** Scripts live in `$REPO_DIR/{folder}/{action}_{stem}.sh`. */
  readonly folder: string;
  readonly stem: string;
  readonly installed: InstalledRule;
  /** Readiness: GET this path on the tool's port; `ok` = 200 only, `any` = any status below 500. */
  readonly ready: { readonly path: string; readonly accept: "ok" | "any" };
  /**
   * The output root under WORKSPACE_DIR, given to the tool as OUTPUT_DIR; `perArtist` when each artist
   * has a folder of their own in it (made for every user, never deleted).
   */
  readonly output?: { readonly root: string; readonly perArtist: boolean };
  /** Custom nodes kept as git clones in this folder under WORKSPACE_DIR, with their list and scripts. */
  readonly customNodes?: { readonly folder: string; readonly scripts: string; readonly list: string };
  /** Where the Open link lands in the tool. */
  readonly openPath: string;
  readonly rewrites: readonly GatewayRewrite[];
  /**
   * A token of the tool's own, derived from the session secret: given to the tool in `env`, and put on every
   * request the gateway forwards as `header: {scheme} {token}` (so the tool trusts the gateway's check, and a
   * process on the pod cannot use its loopback port without it).
   */
  readonly upstreamToken?: { readonly env: string; readonly header: string; readonly scheme: string };
  /** With the "comfy-user" rewrite: ComfyUI's users file under WORKSPACE_DIR (`{user dir}/users.json`). */
  readonly usersFile?: string;
  /**
   * How the tool tells it is busy without anyone in it (never stopped for being idle then): `comfy-queue`
   * is a GET answering `{ queue_running, queue_pending }`; `jupyter-kernels` a GET listing kernels with
   * their `execution_state`.
   */
  readonly busy?: { readonly kind: "comfy-queue" | "jupyter-kernels"; readonly path: string };
  /**
   * A JSON answer whose top-level `fields` only admins see (the gateway blanks them for anyone else), for a
   * GET of `path` (as the tool routes it).
   */
  readonly hidden?: { readonly path: string; readonly fields: readonly string[] };
  /** Requests that change the tool itself for everyone: with TOOL_CHANGES_BY=admins, admins' alone. */
  readonly changes?: ToolChanges;
  /** With COMFYUI_INSTANCES: one instance per GPU, all behind the one public port. */
  readonly perGpu?: boolean;
  /** About how much an install needs on the volume (checked before install and reinstall). */
  readonly installBytes: number;
  /** One line for the page. */
  readonly description: string;
  /** What a reinstall keeps (from the reinstall script), for the page's confirmation. */
  readonly reinstallKeeps: string;
}

export const TOOLS = [
  {
    id: "comfy-ui",
    installBytes: 10_000_000_000,
    name: "ComfyUI",
    port: { variable: "COMFYUI_PORT", default: 8188 },
    folder: "setup/comfy",
    stem: "comfy",
    installed: { kind: "folder", path: "ComfyUI", ignore: ["output"] },
    ready: { path: "/system_stats", accept: "ok" },
    output: { root: "ComfyUI/output", perArtist: true },
    customNodes: {
      folder: "ComfyUI/custom_nodes",
      scripts: "setup/custom-nodes",
      list: "setup/custom-nodes/nodes.txt",
    },
    openPath: "/",
    rewrites: ["comfy-user", "filename-prefix"],
    usersFile: "ComfyUI/user/users.json",
    busy: { kind: "comfy-queue", path: "/queue" },
    changes: COMFY_CHANGES,
    perGpu: true,
    description: "Node-based image and video generation; saves into your own output folder.",
    reinstallKeeps:
      "Kept: outputs, inputs, workflows and settings (user), every custom node and extra_model_paths.yaml are moved into the fresh copy; models stay in the shared models folder. The old folder is kept as ComfyUI.old-{time} (under Old copies) until you delete it.",
  },
  {
    id: "jupyter-lab",
    installBytes: 1_000_000_000,
    name: "JupyterLab",
    port: { variable: "JUPYTER_PORT", default: 8888 },
    folder: "setup/jupyter",
    stem: "jupyter",
    installed: {
      kind: "file",
      paths: ["{workspace}/.venvs/jupyterlab/bin/jupyter-lab", "/opt/jupyterlab/bin/jupyter-lab"],
    },
    ready: { path: "/api", accept: "ok" },
    openPath: "/lab",
    rewrites: [],
    upstreamToken: { env: "JUPYTER_TOKEN", header: "authorization", scheme: "token" },
    busy: { kind: "jupyter-kernels", path: "/api/kernels" },
    description: "Notebooks and a terminal on the pod's volume.",
    reinstallKeeps:
      "Only its Python environment is rebuilt: notebooks and files in the workspace are not touched.",
  },
  {
    id: "ai-toolkit",
    installBytes: 12_000_000_000,
    name: "AI-Toolkit",
    port: { variable: "AI_TOOLKIT_PORT", default: 8675 },
    folder: "setup/ai-toolkit",
    stem: "ai_toolkit",
    installed: { kind: "folder", path: "ai-toolkit", ignore: [] },
    ready: { path: "/", accept: "any" },
    openPath: "/",
    rewrites: [],
    changes: AI_TOOLKIT_CHANGES,
    // Its settings page shows the Hugging Face token an admin typed in (`ui/src/app/api/settings/route.ts`).
    hidden: { path: "/api/settings", fields: ["HF_TOKEN"] },
    description: "LoRA training with a web UI.",
    reinstallKeeps:
      "Kept: training configs, datasets, outputs, models, custom, extensions, data, the UI's database (aitk_db.db) and .env are moved into the fresh copy. The old folder is kept as ai-toolkit.old-{time} (under Old copies) until you delete it.",
  },
  {
    id: "swarm-ui",
    installBytes: 3_000_000_000,
    name: "SwarmUI",
    port: { variable: "SWARMUI_PORT", default: 7861 },
    folder: "setup/swarm-ui",
    stem: "swarm_ui",
    installed: { kind: "folder", path: "SwarmUI", ignore: [] },
    ready: { path: "/", accept: "any" },
    openPath: "/",
    rewrites: [],
    changes: SWARM_CHANGES,
    description: "A friendly generation UI on top of ComfyUI.",
    reinstallKeeps:
      "Kept: Data (settings, users, presets), Models, Output, dlbackend, training_data and src/Extensions are moved into the fresh copy. The old folder is kept as SwarmUI.old-{time} (under Old copies) until you delete it.",
  },
  {
    id: "lora-tool",
    installBytes: 0,
    name: "LoRA-Tool",
    port: { variable: "LORA_TOOL_PORT", default: 3000 },
    folder: "setup/lora-tool",
    stem: "lora_tool",
    installed: { kind: "script" },
    ready: { path: "/", accept: "any" },
    openPath: "/",
    rewrites: [],
    description: "Prepare LoRA datasets: images, captions, auto-captioning.",
    reinstallKeeps:
      "Nothing is downloaded: it ships built with the studio. Datasets and captions are not touched.",
  },
] as const satisfies readonly ToolDefinition[];

export type ToolId = (typeof TOOLS)[number]["id"];
export const TOOL_IDS: readonly ToolId[] = TOOLS.map((tool) => tool.id);

export function findTool(id: unknown): ToolDefinition | undefined {
  return (TOOLS as readonly ToolDefinition[]).find((tool) => tool.id === id);
}

export function isToolId(id: unknown): id is ToolId {
  return (TOOL_IDS as readonly unknown[]).includes(id);
}

/** The tool whose custom nodes the studio manages (ComfyUI's entry says so). */
export const CUSTOM_NODES_HOST = (TOOLS as readonly ToolDefinition[]).find((tool) => tool.customNodes);
/** The tool whose output folders hold every artist's own folder. */
export const ARTIST_OUTPUT_TOOL = (TOOLS as readonly ToolDefinition[]).find((tool) => tool.output?.perArtist);
