/** The studio page (and the login page), rendered on the server with Eta. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import { Router } from "express";
import { ADMIN_ACTIONS } from "../../tools/registry.js";
import type { Studio } from "../../studio.js";
import { who } from "../session.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** server/views, from both server/http/routes and dist/server/http/routes. */
export const VIEWS_DIR = path.resolve(
  here,
  "..",
  "..",
  "..",
  here.includes(`${path.sep}dist${path.sep}`) ? ".." : ".",
  "server",
  "views",
);

export function pageRoutes(studio: Studio): Router {
  const router = Router();
  const eta = new Eta({ views: VIEWS_DIR, cache: process.env.NODE_ENV !== "development", autoEscape: true });
  const assetVersion = Date.now().toString(36);

  router.get("/", (req, res) => {
    res.set("Cache-Control", "no-store");
    const loginRequired = studio.config.secrets.studioPassword !== undefined && req.session.loggedIn !== true;
    if (loginRequired) {
      res.type("html").send(eta.render("login", { assetVersion }));
      return;
    }
    const me = who(req, studio.users);
    const html = eta.render("index", {
      assetVersion,
      users: studio.users.users,
      me,
      tools: studio.tools.supervisors.map((supervisor) => supervisor.status(req.hostname)),
      adminActions: ADMIN_ACTIONS,
      adminPasswordRequired: studio.config.secrets.adminPassword !== undefined,
      loginEnabled: studio.config.secrets.studioPassword !== undefined,
      usersWarnings: studio.users.warnings,
      podId: studio.config.runpodPodId ?? null,
    });
    res.type("html").send(html);
  });

  return router;
}
