/** The pod's idle state and "keep it running" (idle/pod.ts, idle/tools.ts). */
import { Router } from "express";
import type { Studio } from "../../studio.js";
import { route } from "../middleware.js";
import { requireArtist } from "../session.js";
import { KeepAliveBody, parse } from "../validate.js";

export function idleRoutes(studio: Studio): Router {
  const router = Router();

  router.get("/pod", (_req, res) => {
    res.json({ success: true, ...studio.pod.view() });
  });

  router.post(
    "/keep_alive",
    route((req, res) => {
      const { tool_id } = parse(KeepAliveBody, req.body);
      const artist = requireArtist(req, studio.users);
      if (tool_id === undefined) {
        studio.activity.noteStudio();
        req.log.info({ artist }, "keep the pod running");
        return res.json({ success: true, ...studio.pod.view() });
      }
      const tool = studio.tools.find(tool_id);
      studio.activity.seen(tool.id, artist, true);
      req.log.info({ artist, tool: tool.id }, "keep the tool running");
      res.json({ success: true, tool_id: tool.id, idle_stop_at: studio.idle.stopAt(tool) });
    }),
  );

  return router;
}
