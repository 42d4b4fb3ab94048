/** GPUs and disks (system/system.ts). */
import { Router } from "express";
import type { Studio } from "../../studio.js";
import { diskPaths } from "../../system/instances.js";
import { systemView } from "../../system/system.js";
import { route } from "../middleware.js";

export function systemRoutes(studio: Studio): Router {
  const router = Router();
  router.get(
    "/system",
    route(async (_req, res) => {
      res.json({ success: true, ...(await systemView(studio.manager, diskPaths(studio.config))) });
    }),
  );
  return router;
}
