/** The page: a server-rendered shell (Eta), its stylesheet, and the compiled browser script. */
import { existsSync } from "node:fs";
import path from "node:path";
import { Eta } from "eta";
import express, { Router } from "express";
import type { Context } from "../context.js";
import type { AssetPaths } from "../locate.js";
import { presetList } from "../presets.js";
import { publicSettings } from "../settings.js";

/** Serves only files with these extensions from a folder (the source folder also holds .ts files). */
function staticOnly(dir: string, extensions: readonly string[]): express.RequestHandler {
  const serve = express.static(dir, { index: false, fallthrough: true, maxAge: 0 });
  return (req, res, next) => {
    if (!extensions.includes(path.extname(req.path).toLowerCase())) return next();
    serve(req, res, next);
  };
}

export function pageRoutes(ctx: Context, assets: AssetPaths): Router {
  const router = Router();
  const eta = new Eta({ views: assets.viewsDir, cache: true, autoEscape: true });

  router.use("/static", staticOnly(assets.scriptDir, [".js"]));
  router.use("/static", staticOnly(assets.publicDir, [".css", ".svg", ".png", ".ico"]));

  router.get("/", async (_req, res) => {
    const html = eta.render("index", {
      datasets: await ctx.store.list(),
      settings: publicSettings(await ctx.settings.get()),
      presets: presetList(),
      scriptBuilt: existsSync(path.join(assets.scriptDir, "app.js")),
    });
    res.set("Cache-Control", "no-store");
    res.type("html").send(html);
  });

  return router;
}
