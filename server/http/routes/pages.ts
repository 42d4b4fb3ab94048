/** The studio page (and the login page), rendered on the server with Eta. */
import path from "node:path";
import { Eta } from "eta";
import { Router } from "express";
import { ADMIN_ACTIONS } from "../../tools/registry.js";
import { REPO_ROOT } from "../../config/root.js";
import type { Studio } from "../../studio.js";
import { who } from "../session.js";
import { viewOf } from "../view.js";

/** The page templates (not compiled: read from the sources). */
export const VIEWS_DIR = path.join(REPO_ROOT, "server", "views");

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
      tools: studio.tools.statuses(viewOf(studio.config, req)),
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
