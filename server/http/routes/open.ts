/**
 * Entering a tool: `GET /open/{tool_id}` hands the signed-in artist to the tool's port with a one-time
 * ticket (see gateway/tickets.ts), the way JupyterHub hands a user to a single-user server. `GET /api_key`
 * and `POST /api_key` show and replace the artist's key for scripts and plugins.
 */
import { Router, type Request, type Response } from "express";
import { sendPage } from "../../gateway/pages.js";
import { TICKET_PARAM } from "../../gateway/tickets.js";
import type { Studio } from "../../studio.js";
import { portUrl } from "../../tools/paths.js";
import { route } from "../middleware.js";
import { requireArtist, who } from "../session.js";
import { ApiKeyBody, OpenQuery, parse } from "../validate.js";
import { studioOriginOf } from "../view.js";

/** A path inside the tool (never another site: `//host` and `\\` are refused). */
function safeNext(next: string | undefined, fallback: string): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return fallback;
  return next;
}

export function openRoutes(studio: Studio): Router {
  const router = Router();
  const { config, users, tools } = studio;

  const page = (req: Request, res: Response, status: number, title: string, sentence: string) =>
    sendPage(res, status, title, sentence, studioOriginOf(config, req));

  router.get("/open/:tool_id", (req, res) => {
    const tool = tools.find(req.params.tool_id);
    const { next } = parse(OpenQuery, req.query);
    const here = `/open/${tool.id}${next ? `?next=${encodeURIComponent(next)}` : ""}`;
    if (config.secrets.studioPassword !== undefined && req.session.loggedIn !== true) {
      return res.redirect(302, `/?next=${encodeURIComponent(here)}`);
    }
    const me = who(req, users);
    if (!me.artist) return res.redirect(302, `/?next=${encodeURIComponent(here)}`);
    const problem = tools.accessProblem(me, tool);
    if (problem) return page(req, res, 403, `${tool.name} is for admins`, problem);
    const running = tools.manager.instances(tool.id).some((instance) => instance.isActive);
    if (!running)
      return page(
        req,
        res,
        503,
        `${tool.name} is not running`,
        `${tool.name} is not running: start it from the studio first.`,
      );
    const ticket = studio.tickets.issue(tool.id, me.artist);
    const base = portUrl(
      config.toolPorts[tool.id as keyof typeof config.toolPorts],
      config.runpodPodId,
      req.hostname,
    );
    const target = new URL(safeNext(next, tool.openPath), base);
    target.searchParams.set(TICKET_PARAM, ticket);
    res
      .set("Cache-Control", "no-store")
      .set("Referrer-Policy", "no-referrer")
      .redirect(302, target.toString());
  });

  router.get(
    "/api_key",
    route(async (req, res) => {
      const artist = requireArtist(req, users);
      res.json({ success: true, artist, key: await studio.keys.forArtist(artist) });
    }),
  );

  router.post(
    "/api_key",
    route(async (req, res) => {
      parse(ApiKeyBody, req.body);
      const artist = requireArtist(req, users);
      const key = await studio.keys.rotate(artist);
      req.log.info({ artist }, "API key replaced");
      res.json({ success: true, artist, key });
    }),
  );

  return router;
}
