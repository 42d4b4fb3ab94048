/** Tool status, start and stop. */
import { Router, type Request } from "express";
import type { Studio } from "../../studio.js";
import type { ToolSupervisor } from "../../tools/supervisor.js";
import { conflict, forbidden, notFound } from "../../util/errors.js";
import { route } from "../middleware.js";
import { requireArtist, who } from "../session.js";
import { parse, ToolBody } from "../validate.js";

export function findSupervisor(studio: Studio, id: string): ToolSupervisor {
  const supervisor = studio.tools.get(id);
  if (!supervisor) throw notFound(`There is no tool "${id.slice(0, 100)}".`);
  return supervisor;
}

export function toolRoutes(studio: Studio): Router {
  const router = Router();
  const { users, tools, jobs } = studio;
  const status = (req: Request, supervisor: ToolSupervisor) => ({
    ...supervisor.status(req.hostname),
    open_url: supervisor.openUrl(req.hostname),
  });

  router.get("/tools", (req, res) => {
    res.json({ success: true, tools: tools.supervisors.map((supervisor) => status(req, supervisor)) });
  });

  router.get("/tool_status/:tool_id", (req, res) => {
    const supervisor = findSupervisor(studio, req.params.tool_id);
    res.json({ success: true, ...status(req, supervisor) });
  });

  router.post(
    "/start_session",
    route((req, res) => {
      const { tool_id } = parse(ToolBody, req.body);
      const artist = requireArtist(req, users);
      const supervisor = findSupervisor(studio, tool_id);
      const busy = jobs.pending(tool_id)[0];
      if (busy && !supervisor.isActive) {
        const doing = busy.status === "running" ? "is being" : "is waiting to be";
        throw conflict(
          `${supervisor.tool.name} ${doing} ${busy.action.replace(/e?$/, "ed")} (asked by ${busy.requested_by}); start it when that job ends.`,
        );
      }
      const { started } = supervisor.start(artist);
      if (started) req.log.info({ tool: tool_id, artist }, "tool start asked");
      const state = supervisor.state;
      res.status(state === "running" ? 200 : 202).json({ success: true, ...status(req, supervisor) });
    }),
  );

  router.post(
    "/stop_session",
    route(async (req, res) => {
      const { tool_id } = parse(ToolBody, req.body);
      const supervisor = findSupervisor(studio, tool_id);
      if (!supervisor.isActive) return res.json({ success: true, ...status(req, supervisor) });
      const me = who(req, users);
      const owner = supervisor.record.owner;
      const allowed = (me.artist !== null && me.artist === owner) || me.adminMode;
      if (!allowed) {
        throw forbidden(
          `${supervisor.tool.name} is in use by ${owner ?? "someone else"}: only ${owner ?? "its owner"} or an admin in admin mode may stop it.`,
        );
      }
      req.log.info({ tool: tool_id, by: me.artist }, "tool stop asked");
      await supervisor.stop(me.artist ?? "an admin");
      res.json({ success: true, ...status(req, supervisor) });
    }),
  );

  return router;
}
