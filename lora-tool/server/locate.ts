/**
 * Where the page's files are, found from this module's own location so it works both from
 * `lora-tool/server/` (source) and `dist/lora-tool/server/` (build).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface AssetPaths {
  /** Eta templates (source folder). */
  viewsDir: string;
  /** Styles and other static files (source folder). */
  publicDir: string;
  /** The compiled browser script (`dist/lora-tool/browser/public`). */
  scriptDir: string;
}

export function locateAssets(from = path.dirname(fileURLToPath(import.meta.url))): AssetPaths {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, "lora-tool", "views", "index.eta"))) {
      return {
        viewsDir: path.join(dir, "lora-tool", "views"),
        publicDir: path.join(dir, "lora-tool", "public"),
        scriptDir: path.join(dir, "dist", "lora-tool", "browser", "public"),
      };
    }
    dir = path.dirname(dir);
  }
  throw new Error(`LoRA-Tool: cannot find lora-tool/views above ${from}.`);
}
