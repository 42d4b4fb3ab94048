/**
 * The page: a server-rendered shell (Eta), its stylesheet, the compiled browser script, and the kit's
 * browser modules and style tokens it loads (`/static/kit/web/...`).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { kitAssets, staticOnly } from "@comfystudio/kit/assets";
import { Eta } from "eta";
import { Router } from "express";
import type { Context } from "../context.js";
import type { AssetPaths } from "../locate.js";
import { presetList } from "../presets.js";
import { publicSettings } from "../settings.js";

export function pageRoutes(ctx: Context, assets: AssetPaths): Router {
  const router = Router();
  const eta = new Eta({ views: assets.viewsDir, cache: true, autoEscape: true });

  router.use("/static/kit", kitAssets());
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
