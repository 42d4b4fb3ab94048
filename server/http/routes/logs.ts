/** Log reading by cursor, and clearing what the page shows. */
import { Router } from "express";
import type { LogFile } from "../../logs/logfile.js";
import type { Studio } from "../../studio.js";
import { notFound } from "../../util/errors.js";
import { route } from "../middleware.js";
import { requireAdminMode } from "../session.js";
import { LogsQuery, parse, SourceBody } from "../validate.js";

interface Source {
  log: LogFile;
  running: () => boolean;
  job_id?: string;
}

/** `comfy-ui`, `job:{id}` or `admin` -> the log file and whether its writer still runs. */
export function resolveSource(studio: Studio, source: string): Source {
  const { tools, jobs } = studio;
  if (source === "admin" || source.startsWith("job:")) {
    const job = source === "admin" ? jobs.newestAdminJob() : jobs.get(source.slice(4));
    if (!job) {
      if (source === "admin") throw notFound("No admin job has run yet.");
      throw notFound(`There is no job "${source.slice(4, 104)}".`);
    }
    return { log: jobs.log(job.job_id), running: () => job.status === "running", job_id: job.job_id };
  }
  const supervisor = tools.get(source);
  if (!supervisor)
    throw notFound(`Unknown log source "${source.slice(0, 100)}": use a tool id, job:{id} or admin.`);
  return { log: studio.logs.get(`${supervisor.tool.id}.log`), running: () => supervisor.isActive };
}

export function logRoutes(studio: Studio): Router {
  const router = Router();

  router.get(
    "/logs",
    route(async (req, res) => {
      const query = parse(LogsQuery, req.query);
      const source = resolveSource(studio, query.source);
      const chunk = await source.log.read(query.cursor);
      res.json({
        success: true,
        content: chunk.content,
        cursor: chunk.cursor,
        running: source.running(),
        ...(chunk.reset ? { reset: true } : {}),
        ...(source.job_id ? { job_id: source.job_id } : {}),
      });
    }),
  );

  router.post(
    "/clear_logs",
    route(async (req, res) => {
      const { source } = parse(SourceBody, req.body);
      const admin = requireAdminMode(req, studio.users);
      const resolved = resolveSource(studio, source);
      const cursor = await resolved.log.clear();
      req.log.info({ source, by: admin }, "log view cleared");
      res.json({ success: true, cursor });
    }),
  );

  return router;
}
