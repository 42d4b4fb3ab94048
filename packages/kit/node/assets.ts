/**
 * Serving browser files: a folder limited to some extensions, and the kit's own browser modules and styles,
 * which pages load as `/static/kit/web/api.js` and `/static/kit/web/tokens.css`.
 *
 * ```ts
 * app.use("/static/kit", kitAssets());
 * app.use("/static", staticOnly(scriptDir, [".js"]));
 * ```
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { Router, type RequestHandler } from "express";

/** Serves only files with these extensions from `dir` (a source folder also holds .ts files); others fall through. */
export function staticOnly(dir: string, extensions: readonly string[]): RequestHandler {
  const serve = express.static(dir, { index: false, fallthrough: true, maxAge: 0, dotfiles: "ignore" });
  return (req, res, next) => {
    if (!extensions.includes(path.extname(req.path).toLowerCase())) return next();
    serve(req, res, next);
  };
}

/** The kit's folder (with its package.json), from this module in `node/` or in `dist/node/`. */
function kitRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("The kit's package.json is missing.");
    dir = parent;
  }
  return dir;
}

/** `/web/*.js` (built, from `dist/web`) and `/web/*.css` (from `web/`), relative to where it is mounted. */
export function kitAssets(): Router {
  const root = kitRoot();
  const router = Router();
  router.use("/web", staticOnly(path.join(root, "dist", "web"), [".js"]));
  router.use("/web", staticOnly(path.join(root, "web"), [".css"]));
  return router;
}
