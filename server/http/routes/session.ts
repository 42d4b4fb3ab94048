/** Login, logout, picking a name and switching admin mode: all per browser. */
import { Router } from "express";
import type { Studio } from "../../studio.js";
import { badRequest, forbidden, StudioError } from "../../util/errors.js";
import { passwordMatches } from "../../util/secrets.js";
import { LoginBudget } from "../login-budget.js";
import { route } from "../middleware.js";
import { rotateSession, saveSession, SESSION_COOKIE, who } from "../session.js";
import { AdminModeBody, ArtistBody, LoginBody, parse } from "../validate.js";

export function sessionRoutes(studio: Studio): Router {
  const router = Router();
  const { users, config } = studio;
  const budget = new LoginBudget();

  router.post(
    "/login",
    route(async (req, res) => {
      const { password } = parse(LoginBody, req.body);
      const expected = config.secrets.studioPassword;
      if (expected === undefined) return res.json({ success: true, message: "This studio has no password." });
      budget.check(req);
      if (!passwordMatches(password, expected)) {
        budget.failed(req);
        req.log.warn("a login failed");
        throw new StudioError(401, "That password is not right.");
      }
      await rotateSession(req, { loggedIn: true });
      res.json({ success: true });
    }),
  );

  router.post(
    "/logout",
    route(async (req, res) => {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      res.clearCookie(SESSION_COOKIE);
      res.json({ success: true });
    }),
  );

  router.post(
    "/set_artist",
    route(async (req, res) => {
      const { artist } = parse(ArtistBody, req.body);
      const user = users.find(artist);
      if (!user) throw badRequest(`"${artist.trim().slice(0, 64)}" is not on the studio's list of users.`);
      if (req.session.artist !== user.name) {
        // Another artist drops admin mode: a change of privilege, so a new session id.
        if (req.session.adminMode) await rotateSession(req, { artist: user.name, adminMode: false });
        else {
          req.session.artist = user.name;
          await saveSession(req);
        }
      }
      req.log.info({ artist: user.name }, "artist picked");
      res.json({
        success: true,
        artist: user.name,
        is_admin: user.admin,
        admin_mode: who(req, users).adminMode,
      });
    }),
  );

  router.post(
    "/set_admin_mode",
    route(async (req, res) => {
      const { admin_mode, password } = parse(AdminModeBody, req.body);
      const me = who(req, users);
      if (!admin_mode) {
        if (req.session.adminMode) await rotateSession(req, { adminMode: false });
        return res.json({ success: true, artist: me.artist, is_admin: me.isAdmin, admin_mode: false });
      }
      if (!me.artist) throw forbidden("Pick your name first: admin mode is for admins.");
      if (!me.isAdmin) throw forbidden(`${me.artist} is not an admin.`);
      const expected = config.secrets.adminPassword;
      if (expected !== undefined) {
        budget.check(req);
        if (!passwordMatches(password, expected)) {
          budget.failed(req);
          req.log.warn({ artist: me.artist }, "a wrong admin password was given");
          throw forbidden(
            password ? "That admin password is not right." : "Admin mode needs the admin password.",
          );
        }
      }
      await rotateSession(req, { adminMode: true });
      req.log.info({ artist: me.artist }, "admin mode on");
      res.json({ success: true, artist: me.artist, is_admin: true, admin_mode: true });
    }),
  );

  return router;
}
