/** Login, logout, picking a name and switching admin mode: all per browser. */
import { Router, type Request } from "express";
import { rateLimit } from "express-rate-limit";
import type { Studio } from "../../studio.js";
import { badRequest, forbidden, StudioError } from "../../util/errors.js";
import { passwordMatches } from "../../util/secrets.js";
import { route } from "../middleware.js";
import { regenerateSession, saveSession, who } from "../session.js";
import { AdminModeBody, ArtistBody, LoginBody, parse } from "../validate.js";

/**
 * Password guesses are slowed down: 20 wrong passwords a minute per address. Only a refused password (401
 * or 403) counts, so logging in, switching admin mode off or a malformed request never locks anyone out.
 * Each app has its own limiter.
 */
function passwordLimiter() {
  return rateLimit({
    windowMs: 60_000,
    limit: 20,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    skip: (req) => req.method !== "POST",
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401 && res.statusCode !== 403,
    // The client writes the left of X-Forwarded-For; the right end is what the nearest proxy saw.
    keyGenerator: (req) => proxiedAddress(req),
    validate: { trustProxy: false, keyGeneratorIpFallback: false },
    handler: (_req, res) => {
      res
        .status(429)
        .json({ success: false, message: "Too many wrong passwords; wait a minute and try again." });
    },
  });
}

/** The address the proxy in front of the studio saw (the last X-Forwarded-For entry), else the socket's. */
export function proxiedAddress(req: Request): string {
  const forwarded = req.headers["x-forwarded-for"];
  const last = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? "")).split(",").pop()?.trim();
  return last || req.socket.remoteAddress || "unknown";
}

export function sessionRoutes(studio: Studio): Router {
  const router = Router();
  const { users, config } = studio;
  const limiter = passwordLimiter();

  router.post(
    "/login",
    limiter,
    route(async (req, res) => {
      const { password } = parse(LoginBody, req.body);
      const expected = config.secrets.studioPassword;
      if (expected === undefined) return res.json({ success: true, message: "This studio has no password." });
      if (!passwordMatches(password, expected)) {
        req.log.warn("a login failed");
        throw new StudioError(401, "That password is not right.");
      }
      await regenerateSession(req);
      req.session.loggedIn = true;
      await saveSession(req);
      res.json({ success: true });
    }),
  );

  router.post(
    "/logout",
    route(async (req, res) => {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      res.clearCookie("comfystudio.sid");
      res.json({ success: true });
    }),
  );

  router.post(
    "/set_artist",
    route(async (req, res) => {
      const { artist } = parse(ArtistBody, req.body);
      const user = users.find(artist);
      if (!user) throw badRequest(`"${artist.trim().slice(0, 64)}" is not on the studio's list of users.`);
      if (req.session.artist !== user.name) req.session.adminMode = false;
      req.session.artist = user.name;
      await saveSession(req);
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
    limiter,
    route(async (req, res) => {
      const { admin_mode, password } = parse(AdminModeBody, req.body);
      const me = who(req, users);
      if (!admin_mode) {
        req.session.adminMode = false;
        await saveSession(req);
        return res.json({ success: true, artist: me.artist, is_admin: me.isAdmin, admin_mode: false });
      }
      if (!me.artist) throw forbidden("Pick your name first: admin mode is for admins.");
      if (!me.isAdmin) throw forbidden(`${me.artist} is not an admin.`);
      const expected = config.secrets.adminPassword;
      if (expected !== undefined && !passwordMatches(password, expected)) {
        req.log.warn({ artist: me.artist }, "a wrong admin password was given");
        throw forbidden(
          password ? "That admin password is not right." : "Admin mode needs the admin password.",
        );
      }
      req.session.adminMode = true;
      await saveSession(req);
      req.log.info({ artist: me.artist }, "admin mode on");
      res.json({ success: true, artist: me.artist, is_admin: true, admin_mode: true });
    }),
  );

  return router;
}
