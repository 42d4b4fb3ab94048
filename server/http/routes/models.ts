/** Model sets: status and downloads. */
import { Router } from "express";
import type { Studio } from "../../studio.js";
import { route } from "../middleware.js";

export function modelRoutes(studio: Studio): Router {
  const router = Router();
  router.get(
    "/models",
    route(async (_req, res) => {
      res.json({ success: true, sets: await studio.models.list() });
    }),
  );
  return router;
}
