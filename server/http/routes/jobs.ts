/** Admin jobs: tool actions, custom nodes, the job list and cancel. */
import { existsSync } from "node:fs";
import path from "node:path";
import { Router } from "express";
import { customNodesScript, CUSTOM_NODE_ACTIONS, listCustomNodes } from "../../jobs/custom-nodes.js";
import { publicJob } from "../../jobs/runner.js";
import { ADMIN_ACTIONS, scriptPath, type AdminAction } from "../../tools/registry.js";
import type { Studio } from "../../studio.js";
import { badRequest, conflict, notFound } from "../../util/errors.js";
import { route } from "../middleware.js";
import { scriptProblem } from "../../util/paths.js";
import { requireAdminMode } from "../session.js";
import { AdminActionBody, CustomNodesBody, JobBody, parse } from "../validate.js";
import { findSupervisor } from "./tools.js";

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw badRequest(`Unknown ${what} "${value.slice(0, 40)}": use one of ${allowed.join(", ")}.`);
  }
  return value as T;
}

function existingScript(file: string, repoDir: string): string {
  const problem = scriptProblem(file);
  const name = path.relative(repoDir, file);
  if (problem === "is missing") throw notFound(`The script ${name} is missing from the studio's repository.`);
  if (problem) throw conflict(`The script ${name} ${problem}; fix the studio's repository and try again.`);
  return file;
}

export function jobRoutes(studio: Studio): Router {
  const router = Router();
  const { users, jobs, config } = studio;

  router.post(
    "/admin_action",
    route((req, res) => {
      const body = parse(AdminActionBody, req.body);
      const admin = requireAdminMode(req, users);
      const action = oneOf<AdminAction>(body.action, ADMIN_ACTIONS, "action");
      const supervisor = findSupervisor(studio, body.tool_id);
      const { tool } = supervisor;
      const script = existingScript(scriptPath(tool, action, config.repoDir), config.repoDir);
      // Scripts replace code and packages under a running process: every action waits for a stopped tool.
      const runningRefusal = () =>
        supervisor.isActive
          ? `${tool.name} is running (started by ${supervisor.record.owner ?? "someone"}): stop it before you ${action} it.`
          : null;
      const refusal = runningRefusal();
      if (refusal) throw conflict(refusal);
      const job = jobs.enqueue({
        kind: "tool",
        target: tool.id,
        action,
        requestedBy: admin,
        work: { script },
        precondition: runningRefusal,
      });
      res.status(202).json({ success: true, job_id: job.job_id, job: publicJob(job) });
    }),
  );

  router.get(
    "/custom_nodes",
    route(async (_req, res) => {
      res.json({ success: true, nodes: await listCustomNodes(config) });
    }),
  );

  router.post(
    "/custom_nodes_action",
    route((req, res) => {
      const body = parse(CustomNodesBody, req.body);
      const admin = requireAdminMode(req, users);
      const action = oneOf(body.action, CUSTOM_NODE_ACTIONS, "action");
      const script = existingScript(customNodesScript(config.repoDir, action), config.repoDir);
      const comfy = studio.tools.get("comfy-ui");
      const job = jobs.enqueue({
        kind: "custom_nodes",
        target: "custom-nodes",
        action,
        requestedBy: admin,
        work: { script },
        precondition: () =>
          existsSync(path.join(config.workspaceDir, "ComfyUI"))
            ? null
            : `ComfyUI is not installed: install it before its custom nodes${comfy ? "" : "."}`,
      });
      res.status(202).json({ success: true, job_id: job.job_id, job: publicJob(job) });
    }),
  );

  router.get("/jobs", (_req, res) => {
    res.json({ success: true, jobs: jobs.list().map(publicJob) });
  });

  router.post(
    "/cancel_job",
    route(async (req, res) => {
      const { job_id } = parse(JobBody, req.body);
      const admin = requireAdminMode(req, users);
      if (!jobs.get(job_id)) throw notFound(`There is no job "${job_id.slice(0, 100)}".`);
      const job = await jobs.cancel(job_id, admin);
      res.json({ success: true, job: publicJob(job) });
    }),
  );

  return router;
}
