/** Dataset routes: list, create, show, rename, move to the trash, download as a zip. */
import path from "node:path";
import { requireJson } from "@comfystudio/kit/guards";
import { Router } from "express";
import { z } from "zod";
import type { DatasetDetail } from "../../api.js";
import { captionStats } from "../caption-text.js";
import type { Context } from "../context.js";
import { param, parseBody } from "../http.js";
import { listImages } from "../images.js";
import { streamDatasetZip } from "../zip.js";

const nameBody = z.object({ name: z.string({ error: "give a name" }) });

export function imageUrls(dataset: string, image: string, modifiedMs: number) {
  const base = `/api/datasets/${encodeURIComponent(dataset)}/images/${encodeURIComponent(image)}`;
  return { url: base, thumb_url: `${base}/thumb?v=${modifiedMs}` };
}

export function datasetRoutes(ctx: Context): Router {
  const router = Router();

  router.get("/api/datasets", async (_req, res) => {
    res.json({ success: true, datasets: await ctx.store.list() });
  });

  router.post("/api/datasets", requireJson, async (req, res) => {
    const { name } = parseBody(nameBody, req);
    await ctx.store.create(name);
    ctx.logger.info({ dataset: name }, "dataset created");
    res.status(201).json({ success: true, dataset: await ctx.store.summary(name) });
  });

  router.get("/api/datasets/:dataset", async (req, res) => {
    const name = param(req, "dataset");
    const dir = await ctx.store.require(name);
    const images = await listImages(dir);
    const dataset: DatasetDetail = {
      name,
      images: images.map((image) => ({ ...image, ...imageUrls(name, image.name, image.modified_ms) })),
      stats: captionStats(images.map((image) => image.caption)),
      bytes: images.reduce((sum, image) => sum + image.bytes, 0),
    };
    res.json({ success: true, dataset, autocaption: ctx.captioner.status(name) });
  });

  router.post("/api/datasets/:dataset/rename", requireJson, async (req, res) => {
    const from = param(req, "dataset");
    const { name: to } = parseBody(nameBody, req);
    ctx.captioner.assertIdle(from);
    await ctx.locks.run(from, async () => {
      await ctx.store.rename(from, to);
      await ctx.thumbs.renameDataset(from, to);
    });
    ctx.captioner.forget(from);
    ctx.logger.info({ from, to }, "dataset renamed");
    res.json({ success: true, dataset: await ctx.store.summary(to) });
  });

  router.post("/api/datasets/:dataset/delete", requireJson, async (req, res) => {
    const name = param(req, "dataset");
    await ctx.store.require(name);
    ctx.captioner.assertIdle(name);
    const target = await ctx.locks.run(name, async () => {
      const moved = await ctx.store.trash(name);
      await ctx.thumbs.removeDataset(name);
      return moved;
    });
    ctx.captioner.forget(name);
    ctx.logger.info({ dataset: name, trash: target }, "dataset moved to the trash");
    res.json({
      success: true,
      trashed_to: path.relative(ctx.store.root, target).split(path.sep).join("/"),
      message: `Moved "${name}" to the trash.`,
    });
  });

  router.get("/api/datasets/:dataset/download", async (req, res) => {
    const name = param(req, "dataset");
    const dir = await ctx.store.require(name);
    res.attachment(`${name}.zip`);
    res.type("application/zip");
    const skipped = await streamDatasetZip(dir, name, res);
    if (skipped.length > 0)
      ctx.logger.warn({ dataset: name, skipped: skipped.length }, "files left out of the zip");
  });

  return router;
}
