/**
 * The LoRA-Tool app: dataset folders, uploads, captions and auto-captioning behind one Express app.
 *
 * ```ts
 * const { app, shutdown } = createLoraApp({ workspaceDir: "/workspace", stateDir: "/workspace/.comfystudio" });
 * app.listen(3000);
 * ```
 */
import path from "node:path";
import { errorHandler, notFoundHandler } from "@comfystudio/kit/answers";
import { sameOrigin } from "@comfystudio/kit/guards";
import { securityHeaders } from "@comfystudio/kit/security-headers";
import express, { type Express } from "express";
import { pino, type Logger } from "pino";
import { AutoCaptioner } from "./autocaption.js";
import type { Context } from "./context.js";
import { DatasetStore } from "./datasets.js";
import { KeyedLock } from "./keyed-lock.js";
import { locateAssets } from "./locate.js";
import { autocaptionRoutes } from "./routes/autocaption.js";
import { captionRoutes } from "./routes/captions.js";
import { datasetRoutes } from "./routes/datasets.js";
import { imageRoutes } from "./routes/images.js";
import { pageRoutes } from "./routes/page.js";
import { SettingsStore } from "./settings.js";
import { ThumbnailCache } from "./thumbs.js";
import type { RetryPolicy } from "./vision-client.js";

export interface LoraAppOptions {
  workspaceDir: string;
  stateDir: string;
  logger?: Logger;
  /** Per uploaded file; default 50 MB. */
  uploadLimitBytes?: number;
  maxFilesPerUpload?: number;
  /** Auto-caption retry and timeout settings (tests shorten them). */
  retryPolicy?: Partial<RetryPolicy>;
}

export interface LoraApp {
  app: Express;
  captioner: AutoCaptioner;
  /** Cancels auto-caption runs and waits for them to stop. */
  shutdown(): Promise<void>;
}

/** Logs one line per request: method, path (never a body or header), status, time. */
function requestLog(logger: Logger): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // Read now: inside a mounted router `req.path` is relative to the mount point.
    const { method, path: where } = req;
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method, path: where, status: res.statusCode, ms: Math.round(ms) }, "request");
    });
    next();
  };
}

export function createLoraApp(options: LoraAppOptions): LoraApp {
  const logger = options.logger ?? pino({ name: "lora-tool" });
  const settings = new SettingsStore(options.stateDir);
  const ctx: Context = {
    store: new DatasetStore(path.join(options.workspaceDir, "datasets")),
    thumbs: new ThumbnailCache(path.join(options.stateDir, "lora-tool", "thumbs")),
    settings,
    captioner: new AutoCaptioner(settings, logger, options.retryPolicy),
    locks: new KeyedLock(),
    logger,
    uploadLimitBytes: options.uploadLimitBytes ?? 50 * 1024 * 1024,
    maxFilesPerUpload: options.maxFilesPerUpload ?? 500,
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestLog(logger));
  app.use(securityHeaders());
  app.use(sameOrigin);
  app.use(express.json({ limit: "1mb", type: "application/json" }));
  app.use(pageRoutes(ctx, locateAssets()));
  app.use(datasetRoutes(ctx));
  app.use(imageRoutes(ctx));
  app.use(captionRoutes(ctx));
  app.use(autocaptionRoutes(ctx));
  app.use(notFoundHandler);
  app.use(errorHandler({ name: "The LoRA-Tool", logger }));

  return { app, captioner: ctx.captioner, shutdown: async () => await ctx.captioner.shutdown() };
}
