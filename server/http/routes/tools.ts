/** Tool status, start and stop: thin over the tool service (tools/service.ts). */
import { Router } from "express";
import type { Studio } from "../../studio.js";
import { route } from "../middleware.js";
import { who } from "../session.js";
import { parse, StopBody, ToolBody } from "../validate.js";
import { viewOf } from "../view.js";

export function toolRoutes(studio: Studio): Router {
  const router = Router();
  const { users, tools, config } = studio;

  router.get("/tools", (req, res) => {
    res.json({ success: true, tools: tools.statuses(viewOf(config, req)) });
  });

  router.get("/tool_status/:tool_id", (req, res) => {
    res.json({ success: true, ...tools.status(req.params.tool_id, viewOf(config, req)) });
  });

  router.post(
    "/start_session",
    route((req, res) => {
      const { tool_id } = parse(ToolBody, req.body);
      const me = who(req, users);
      const { started, instance } = tools.start(me, tool_id);
      if (started) req.log.info({ tool: tool_id, artist: me.artist }, "tool start asked");
      res
        .status(instance.state === "running" ? 200 : 202)
        .json({ success: true, ...tools.status(tool_id, viewOf(config, req)) });
    }),
  );

  router.post(
    "/stop_session",
    route(async (req, res) => {
      const { tool_id, force } = parse(StopBody, req.body);
      const me = who(req, users);
      await tools.stop(me, tool_id, { force: force === true });
      req.log.info({ tool: tool_id, by: me.artist }, "tool stop asked");
      res.json({ success: true, ...tools.status(tool_id, viewOf(config, req)) });
    }),
  );

  return router;
}
