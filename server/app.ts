/**
 * createApp(studio): the Express app with its middleware and routes. Tests build it directly.
 *
 * ```ts
 * const studio = await createStudio(config, { logger });
 * await request(createApp(studio)).get("/healthz").expect(200);
 * ```
 */
import path from "node:path";
import express, { type Express } from "express";
import { kitAssets, staticOnly } from "@comfystudio/kit/assets";
import { securityHeaders } from "@comfystudio/kit/security-headers";
import { pinoHttp } from "pino-http";
import { REPO_ROOT } from "./config/root.js";
import {
  errorHandler,
  jsonOnly,
  loginGate,
  notFoundHandler,
  optionsHandler,
  sameOrigin,
} from "./http/middleware.js";
import { debugRoutes } from "./http/routes/debug.js";
import { galleryRoutes } from "./http/routes/gallery.js";
import { jobRoutes } from "./http/routes/jobs.js";
import { logRoutes } from "./http/routes/logs.js";
import { modelRoutes } from "./http/routes/models.js";
import { idleRoutes } from "./http/routes/idle.js";
import { openRoutes } from "./http/routes/open.js";
import { systemRoutes } from "./http/routes/system.js";
import { pageRoutes } from "./http/routes/pages.js";
import { sessionRoutes } from "./http/routes/session.js";
import { toolRoutes } from "./http/routes/tools.js";
import { userRoutes } from "./http/routes/users.js";
import { sessionMiddleware } from "./http/session.js";
import type { Studio } from "./studio.js";

/** GETs polled by every open page: logged at debug level when they succeed. */
const POLLED = /^\/(logs|tools|tool_status|jobs|models|healthz|custom_nodes|pod|system|gallery|users)(\/|$)/;

export function createApp(studio: Studio): Express {
  const app = express();
  app.set("trust proxy", true);
  app.set("etag", false);
  app.disable("x-powered-by");

  app.use(securityHeaders());
  app.use(
    pinoHttp({
      logger: studio.logger,
      customLogLevel: (req, res, error) => {
        if (error || res.statusCode >= 500) return "error";
        if (res.statusCode >= 400) return "warn";
        return req.method === "GET" && POLLED.test(req.url ?? "") ? "debug" : "info";
      },
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  app.use("/static/kit", kitAssets());
  app.use("/static", express.static(path.join(REPO_ROOT, "dist", "browser", "public"), { maxAge: "1h" }));
  app.use("/static", staticOnly(path.join(REPO_ROOT, "server", "public"), [".css", ".svg", ".png"]));

  app.use(optionsHandler);
  app.use(sessionMiddleware(studio.sessions, studio.sessionSecret));
  app.use((req, _res, next) => {
    // Someone using the studio (not a page polling in the background) keeps the pod from its idle stop.
    if (req.method === "POST" && req.session.artist) studio.activity.noteStudio();
    next();
  });
  app.use(sameOrigin);
  app.use(jsonOnly);
  app.use(express.json({ limit: "1mb", strict: true }));
  app.use(loginGate(studio.config.secrets.studioPassword !== undefined));

  app.use(pageRoutes(studio));
  app.use(debugRoutes(studio));
  app.use(sessionRoutes(studio));
  app.use(toolRoutes(studio));
  app.use(jobRoutes(studio));
  app.use(logRoutes(studio));
  app.use(modelRoutes(studio));
  app.use(openRoutes(studio));
  app.use(idleRoutes(studio));
  app.use(systemRoutes(studio));
  app.use(galleryRoutes(studio));
  app.use(userRoutes(studio));

  app.use(notFoundHandler);
  app.use(errorHandler());
  return app;
}
