/**
 * Custom nodes of the tool whose registry entry has them (ComfyUI): the list (one git URL a line, `#`
 * comments) and which are installed.
 *
 * ```ts
 * await listCustomNodes(config); // [{ name: "rgthree-comfy", repo_url: "https://github.com/...", installed: true }]
 * ```
 */
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import type { CustomNode } from "../api.js";
import type { Config } from "../config.js";
import { CUSTOM_NODES_HOST } from "../tools/registry.js";

export type { CustomNode };

export const CUSTOM_NODE_ACTIONS = ["install", "update"] as const;
export type CustomNodeAction = (typeof CUSTOM_NODE_ACTIONS)[number];

const host = () => {
  if (!CUSTOM_NODES_HOST?.customNodes) throw new Error("no tool in the registry has custom nodes");
  return { tool: CUSTOM_NODES_HOST, nodes: CUSTOM_NODES_HOST.customNodes };
};

export function customNodesScript(repoDir: string, action: CustomNodeAction): string {
  return path.join(repoDir, host().nodes.scripts, `${action}_custom_nodes.sh`);
}

/** The folder name git gives a clone of `url`, or null when it is not a usable name. */
export function repoName(url: string): string | null {
  const last = url.replace(/\/+$/, "").split("/").pop() ?? "";
  const name = last.replace(/\.git$/, "");
  return /^[A-Za-z0-9._-]+$/.test(name) && !/^\.+$/.test(name) ? name : null;
}

export function parseNodesList(text: string): { url: string; name: string }[] {
  const nodes: { url: string; name: string }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const url = line.split(/\s+/)[0]!;
    const name = repoName(url);
    if (name && /^(https?:\/\/|git@)/.test(url)) nodes.push({ url, name });
  }
  return nodes;
}

export async function listCustomNodes(
  config: Pick<Config, "repoDir" | "workspaceDir">,
): Promise<CustomNode[]> {
  const { nodes } = host();
  let text: string;
  try {
    text = await fs.readFile(path.join(config.repoDir, nodes.list), "utf8");
  } catch {
    return [];
  }
  const root = path.join(config.workspaceDir, nodes.folder);
  return parseNodesList(text).map(({ url, name }) => ({
    name,
    repo_url: url,
    installed: existsSync(path.join(root, name)),
  }));
}

/** The tool that hosts custom nodes (for its name and installed check). */
export const customNodesHost = () => host().tool;
