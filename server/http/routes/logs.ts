/** Log reading by cursor, and clearing what the page shows. */
import { Router } from "express";
import { resolveSource } from "../../logs/sources.js";
import type { Studio } from "../../studio.js";
import { route } from "../middleware.js";
import { requireAdminMode } from "../session.js";
import { LogsQuery, parse, SourceBody } from "../validate.js";

export function logRoutes(studio: Studio): Router {
  const router = Router();

  router.get(
    "/logs",
    route(async (req, res) => {
      const query = parse(LogsQuery, req.query);
      const source = resolveSource(studio.manager, studio.jobs, query.source);
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
      const resolved = resolveSource(studio.manager, studio.jobs, source);
      const cursor = await resolved.log.clear();
      req.log.info({ source, by: admin }, "log view cleared");
      res.json({ success: true, cursor });
    }),
  );

  return router;
}
