/** Operators' views: /healthz and /debug. */
import { Router } from "express";
import { publicConfig } from "../../config.js";
import { publicJob } from "../../jobs/runner.js";
import type { Studio } from "../../studio.js";
import { route } from "../middleware.js";
import { who } from "../session.js";
import { viewOf } from "../view.js";

export function debugRoutes(studio: Studio): Router {
  const router = Router();

  router.get("/healthz", (_req, res) => {
    res.json({ success: true, ok: true });
  });

  router.get(
    "/debug",
    route(async (req, res) => {
      // A fresh look at the old copies, so the warnings count what is there now.
      await studio.oldCopies.list();
      const me = who(req, studio.users);
      const view = viewOf(studio.config, req);
      res.json({
        success: true,
        users: studio.users.names,
        admins: studio.users.admins,
        session: { artist: me.artist, admin_mode: me.adminMode },
        tools: studio.tools.statuses(view).map((status) => ({
          ...status,
          internal_ports: studio.manager.instances(status.tool_id).map((instance) => instance.targetPort),
        })),
        gateway: { ports: studio.gateway.ports },
        jobs: studio.jobs.list().map(publicJob),
        warnings: studio.warnings(),
        config: publicConfig(studio.config),
      });
    }),
  );

  return router;
}
