/**
 * Where a tool's things are, for one configuration: scripts, the installed check, output folders, URLs.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config.js";
import type { ToolAction, ToolDefinition } from "./registry.js";

type Places = Pick<Config, "repoDir" | "workspaceDir">;

export function scriptPath(tool: ToolDefinition, action: ToolAction, repoDir: string): string {
  return path.join(repoDir, tool.folder, `${action}_${tool.stem}.sh`);
}

/** `{workspace}/x` and `{repo}/x` made absolute; any other path as it is. */
export function expandPath(template: string, places: Places): string {
  return template.replace(/^\{workspace\}/, places.workspaceDir).replace(/^\{repo\}/, places.repoDir);
}

/** Whether a tool is installed, by its registry rule. */
export function isInstalled(tool: ToolDefinition, places: Places): boolean {
  const rule = tool.installed;
  if (rule.kind === "script") return existsSync(scriptPath(tool, "start", places.repoDir));
  if (rule.kind === "file") return rule.paths.some((file) => existsSync(expandPath(file, places)));
  try {
    return readdirSync(path.join(places.workspaceDir, rule.path)).some(
      (entry) => !rule.ignore.includes(entry),
    );
  } catch {
    return false;
  }
}

/** What a person is told to do when a tool is not installed. */
export function notInstalledMessage(tool: ToolDefinition): string {
  return tool.installed.kind === "script"
    ? `${tool.name} is not installed: its start script ${tool.folder}/start_${tool.stem}.sh is missing from the studio's repository.`
    : `${tool.name} is not installed: ask an admin to switch admin mode on and click Install for ${tool.name}.`;
}

/** The tool's output root (OUTPUT_DIR), or undefined when it has none. */
export function outputRoot(tool: ToolDefinition, workspaceDir: string): string | undefined {
  return tool.output ? path.join(workspaceDir, tool.output.root) : undefined;
}

/** `https://{pod}-{port}.proxy.runpod.net`, or `http://{host the page was loaded from}:{port}`. */
export function portUrl(port: number, podId: string | undefined, pageHostname: string): string {
  if (podId) return `https://${podId}-${port}.proxy.runpod.net`;
  const host =
    pageHostname.includes(":") && !pageHostname.startsWith("[") ? `[${pageHostname}]` : pageHostname;
  return `http://${host}:${port}`;
}
