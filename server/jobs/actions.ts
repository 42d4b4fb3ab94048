/**
 * Admin actions as jobs: install, update or reinstall a tool, install or update the custom nodes. The
 * rules (known action, the script exists, the tool is stopped, its host is installed) live here.
 *
 * ```ts
 * const job = actions.tool("Razvan", "comfy-ui", "install");
 * ```
 */
import path from "node:path";
import type { Config } from "../config.js";
import { scriptPath } from "../tools/paths.js";
import { diskOf } from "../system/disks.js";
import { ADMIN_ACTIONS, type AdminAction, type ToolDefinition } from "../tools/registry.js";
import { formatBytes } from "../util/bytes.js";
import type { ToolService } from "../tools/service.js";
import { badRequest, conflict, notFound, StudioError } from "../util/errors.js";
import { readableFileProblem as scriptProblem } from "@comfystudio/kit/paths";
import { CUSTOM_NODE_ACTIONS, customNodesHost, customNodesScript } from "./custom-nodes.js";
import type { JobRecord, JobRunner } from "./runner.js";

export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw badRequest(`Unknown ${what} "${value.slice(0, 40)}": use one of ${allowed.join(", ")}.`);
  }
  return value as T;
}

export class AdminActions {
  constructor(
    private readonly config: Config,
    private readonly tools: ToolService,
    private readonly jobs: JobRunner,
    /** Whether installs check the volume's free space first (off only in tests that install stand-ins). */
    private readonly checkSpaceFirst = true,
  ) {}

  private existingScript(file: string): string {
    const problem = scriptProblem(file);
    const name = path.relative(this.config.repoDir, file);
    if (problem === "is missing")
      throw notFound(`The script ${name} is missing from the studio's repository.`);
    if (problem) throw conflict(`The script ${name} ${problem}; fix the studio's repository and try again.`);
    return file;
  }

  /** A 507 when the volume has less free space than an install of `tool` needs. */
  private async checkSpace(tool: ToolDefinition): Promise<void> {
    if (tool.installBytes <= 0 || !this.checkSpaceFirst) return;
    const disk = await diskOf(this.config.workspaceDir);
    if (!disk || disk.free_bytes >= tool.installBytes) return;
    throw new StudioError(
      507,
      `${tool.name} needs about ${formatBytes(tool.installBytes)} free on the volume (${disk.path}); it has ${formatBytes(disk.free_bytes)}. Free some space (the old copies in the admin panel, unused models) and try again.`,
    );
  }

  async tool(admin: string, toolId: string, requested: string): Promise<JobRecord> {
    const action = oneOf<AdminAction>(requested, ADMIN_ACTIONS, "action");
    const tool = this.tools.find(toolId);
    const script = this.existingScript(scriptPath(tool, action, this.config.repoDir));
    const refusal = this.tools.runningProblem(tool, action);
    if (refusal) throw conflict(refusal);
    if (action !== "install" && !this.tools.installed(tool)) {
      throw conflict(`${tool.name} is not installed: install it before you ${action} it.`);
    }
    if (action !== "update") await this.checkSpace(tool);
    return this.jobs.enqueue({
      kind: "tool",
      target: tool.id,
      action,
      requestedBy: admin,
      work: { script },
      precondition: () => this.tools.runningProblem(tool, action),
    });
  }

  customNodes(admin: string, requested: string): JobRecord {
    const action = oneOf(requested, CUSTOM_NODE_ACTIONS, "action");
    const script = this.existingScript(customNodesScript(this.config.repoDir, action));
    const host = customNodesHost();
    const missing = () =>
      this.tools.installed(host)
        ? null
        : `${host.name} is not installed: install it before its custom nodes.`;
    const refusal = missing();
    if (refusal) throw conflict(refusal);
    return this.jobs.enqueue({
      kind: "custom_nodes",
      target: "custom-nodes",
      action,
      requestedBy: admin,
      work: { script },
      precondition: missing,
    });
  }
}
