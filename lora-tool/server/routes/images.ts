/** Image routes: upload many (multipart), the original file, its thumbnail, delete (to the trash). */
import { badRequest, StudioError } from "@comfystudio/kit/errors";
import { requireJson } from "@comfystudio/kit/guards";
import { Router, type RequestHandler } from "express";
import type { UploadAnswer } from "../../api.js";
import type { Context } from "../context.js";
import { param } from "../http.js";
import { requireImage, sendImage } from "../images.js";
import { readUpload, requireMultipart } from "../multipart.js";
import { acceptUploads } from "../uploads.js";

export function imageRoutes(ctx: Context): Router {
  const router = Router();

  const datasetMustExist: RequestHandler = async (req, _res, next) => {
    await ctx.store.require(param(req, "dataset"));
    await ctx.store.ensureRoot();
    next();
  };

  router.post(
    "/api/datasets/:dataset/images",
    requireMultipart,
    datasetMustExist,
    ...readUpload(ctx),
    (async (req, res) => {
      const dataset = param(req, "dataset");
      const files = (req.files as Express.Multer.File[] | undefined) ?? [];
      if (files.length === 0) throw badRequest("Choose at least one image to upload.");
      const dir = await ctx.store.require(dataset);
      const result = await ctx.locks.run(
        dataset,
        async () => await acceptUploads(dir, dataset, files, ctx.thumbs),
      );
      const refused = result.rejected.map((item) => `"${item.name}" ${item.message}.`).join(" ");
      ctx.logger.info(
        { dataset, added: result.added.length, rejected: result.rejected.length },
        "images uploaded",
      );
      if (result.added.length === 0) {
        const answer: UploadAnswer = { success: false, message: `Nothing was added. ${refused}`, ...result };
        res.status(400).json(answer);
        return;
      }
      const added = `Added ${result.added.length} image${result.added.length === 1 ? "" : "s"}.`;
      const answer: UploadAnswer = {
        success: true,
        message: refused ? `${added} ${refused}` : added,
        ...result,
      };
      res.status(201).json(answer);
    }) as RequestHandler,
  );

  router.get("/api/datasets/:dataset/images/:image", async (req, res) => {
    const dir = await ctx.store.require(param(req, "dataset"));
    await sendImage(req, res, dir, param(req, "image"));
  });

  router.get("/api/datasets/:dataset/images/:image/thumb", async (req, res) => {
    const dataset = param(req, "dataset");
    const image = param(req, "image");
    const dir = await ctx.store.require(dataset);
    await requireImage(dir, image);
    let thumb: string;
    try {
      thumb = await ctx.thumbs.get(dataset, image, dir);
    } catch {
      throw new StudioError(422, "This image cannot be read to make a thumbnail.");
    }
    res.set("Cache-Control", "private, max-age=86400");
    res.type("image/webp");
    res.sendFile(thumb, { dotfiles: "allow" });
  });

  router.post("/api/datasets/:dataset/images/:image/delete", requireJson, async (req, res) => {
    const dataset = param(req, "dataset");
    const image = param(req, "image");
    const dir = await ctx.store.require(dataset);
    await requireImage(dir, image);
    await ctx.locks.run(dataset, async () => {
      await ctx.store.trashImage(dataset, dir, image);
      await ctx.thumbs.remove(dataset, image);
    });
    ctx.logger.info({ dataset, image }, "image moved to the trash");
    res.json({ success: true, message: `Moved "${image}" to the trash.` });
  });

  return router;
}
