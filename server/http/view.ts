/** Where the asking page was loaded from, for the links in tool statuses. */
import type { Request } from "express";
import type { Config } from "../config.js";
import type { View } from "../tools/service.js";

export function studioOriginOf(config: Config, req: Request): string {
  if (config.runpodPodId) return `https://${config.runpodPodId}-${config.port}.proxy.runpod.net`;
  return `${req.protocol}://${req.get("host") ?? `localhost:${config.port}`}`;
}

export function viewOf(config: Config, req: Request): View {
  return { pageHostname: req.hostname, studioOrigin: studioOriginOf(config, req) };
}
