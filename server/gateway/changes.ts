/**
 * Requests that change a tool itself for everyone (the registry's `changes`, see tools/changes.ts:
 * ComfyUI-Manager's installs and restart, SwarmUI's server settings, extensions and shutdown): with
 * TOOL_CHANGES_BY=admins only an admin makes them, the way only admins install custom nodes from the
 * studio. The path is matched as the tool would route it (see routed-path.ts), with a rule's `strip`
 * prefixes taken off its front, so no spelling of a path slips by.
 *
 * ```ts
 * changeProblem(tool, "POST", "/api/v2/manager/reboot", who, "admins");
 * // "ComfyUI-Manager's installs, updates, snapshots, settings and restart are for admins on this studio ..."
 * ```
 */
import type { Config } from "../config.js";
import type { ChangeRule } from "../tools/changes.js";
import type { ToolDefinition } from "../tools/registry.js";
import type { Who } from "../users/who.js";
import { routedPath } from "./routed-path.js";

function matches(rule: ChangeRule, method: string, url: string): boolean {
  if (!rule.methods.includes(method.toUpperCase())) return false;
  const path = routedPath(url, rule.strip, rule.caseless);
  return (
    rule.prefixes.some((prefix) => path.startsWith(prefix)) &&
    !(rule.except ?? []).some((prefix) => path.startsWith(prefix))
  );
}

/** Whether `method url` changes `tool` itself. */
export function isChange(tool: ToolDefinition, method: string, url: string): boolean {
  return tool.changes?.rules.some((rule) => matches(rule, method, url)) ?? false;
}

/** Why `who` may not make this request (a sentence), or null when they may. */
export function changeProblem(
  tool: ToolDefinition,
  method: string,
  url: string,
  who: Who,
  changesBy: Config["toolChangesBy"],
): string | null {
  if (changesBy === "everyone" || who.isAdmin || !isChange(tool, method, url)) return null;
  return `${tool.changes!.what} are for admins on this studio (TOOL_CHANGES_BY); ask an admin.`;
}
