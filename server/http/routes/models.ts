/** Model sets: status on disk, downloads (admin mode) and their progress. */
import { Router } from "express";
import { publicJob } from "../../jobs/runner.js";
import type { Studio } from "../../studio.js";
import { route } from "../middleware.js";
import { requireAdminMode } from "../session.js";
import { DownloadBody, parse } from "../validate.js";

export function modelRoutes(studio: Studio): Router {
  const router = Router();

  router.get(
    "/models",
    route(async (_req, res) => {
      res.json({ success: true, sets: await studio.models.list() });
    }),
  );

  router.get("/models/progress", (_req, res) => {
    res.json({ success: true, ...studio.models.progressView(studio.jobs) });
  });

  router.post(
    "/download_models",
    route(async (req, res) => {
      const body = parse(DownloadBody, req.body);
      const admin = requireAdminMode(req, studio.users);
      const job = await studio.models.download(
        body.models,
        { hf: body.hf_token, civitai: body.civit_token },
        admin,
        studio.jobs,
      );
      res.status(202).json({ success: true, job_id: job.job_id, job: publicJob(job) });
    }),
  );

  return router;
}
