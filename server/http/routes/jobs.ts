/** Admin jobs: tool actions, custom nodes, old copies, the job list and cancel (rules in jobs/actions.ts, jobs/old-copies.ts). */
import { Router } from "express";
import { listCustomNodes } from "../../jobs/custom-nodes.js";
import { publicJob } from "../../jobs/runner.js";
import type { Studio } from "../../studio.js";
import { notFound } from "../../util/errors.js";
import { route } from "../middleware.js";
import { requireAdminMode } from "../session.js";
import { oneOf } from "../../jobs/actions.js";
import { AdminActionBody, CustomNodesBody, JobBody, OldCopyBody, parse } from "../validate.js";

export function jobRoutes(studio: Studio): Router {
  const router = Router();
  const { users, jobs, config, actions, oldCopies } = studio;

  router.post(
    "/admin_action",
    route(async (req, res) => {
      const body = parse(AdminActionBody, req.body);
      const admin = requireAdminMode(req, users);
      const job = await actions.tool(admin, body.tool_id, body.action);
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
      const job = actions.customNodes(admin, body.action);
      res.status(202).json({ success: true, job_id: job.job_id, job: publicJob(job) });
    }),
  );

  router.get(
    "/old_copies",
    route(async (_req, res) => {
      res.json({ success: true, copies: await oldCopies.list() });
    }),
  );

  router.post(
    "/old_copies_action",
    route(async (req, res) => {
      const body = parse(OldCopyBody, req.body);
      const admin = requireAdminMode(req, users);
      oneOf(body.action, ["delete"], "action");
      const job = await oldCopies.remove(admin, body.name);
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
      res.json({ success: true, job: publicJob(await jobs.cancel(job_id, admin)) });
    }),
  );

  return router;
}
