/** Image routes: upload many (multipart), the original file, its thumbnail, delete (to the trash). */
import { randomUUID } from "node:crypto";
import { Router, type ErrorRequestHandler, type RequestHandler } from "express";
import multer from "multer";
import type { UploadAnswer } from "../../api.js";
import type { Context } from "../context.js";
import { HttpError, param } from "../http.js";
import { requireImage } from "../images.js";
import { requireJson, requireMultipart } from "../security.js";
import { acceptUploads } from "../uploads.js";

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

/** Whether an error is the system's (a full disk, a closed file), not the request's. */
function isSystemError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException | null)?.code === "string";
}

/** Multer's limits as clear 4xx answers, and a body its parser cannot read as a 400. */
function uploadErrors(ctx: Context): ErrorRequestHandler {
  return (error: unknown, _req, _res, next) => {
    if (!(error instanceof multer.MulterError)) {
      // What is left comes from reading the multipart body (busboy): a malformed body, not a fault.
      if (error instanceof Error && !isSystemError(error) && !(error instanceof HttpError)) {
        return next(
          new HttpError(400, `The upload could not be read as multipart/form-data (${error.message}).`),
        );
      }
      return next(error);
    }
    const file = (error as { filename?: string }).filename;
    switch (error.code) {
      case "LIMIT_FILE_SIZE":
        return next(
          new HttpError(
            413,
            `${file ? `"${file}"` : "A file"} is larger than ${megabytes(ctx.uploadLimitBytes)}; nothing from this upload was saved.`,
          ),
        );
      case "LIMIT_FILE_COUNT":
        return next(new HttpError(413, `Upload at most ${ctx.maxFilesPerUpload} files at a time.`));
      case "LIMIT_UNEXPECTED_FILE":
        return next(new HttpError(400, 'Send the images in the form field "images".'));
      default:
        return next(new HttpError(400, `The upload could not be read (${error.message}).`));
    }
  };
}

export function imageRoutes(ctx: Context): Router {
  const router = Router();
  const upload = multer({
    storage: multer.diskStorage({
      destination: ctx.store.uploadTemp,
      filename: (_req, _file, callback) => callback(null, `${randomUUID()}.upload`),
    }),
    limits: {
      fileSize: ctx.uploadLimitBytes,
      files: ctx.maxFilesPerUpload,
      fields: 10,
      fieldSize: 1024,
      parts: ctx.maxFilesPerUpload + 10,
    },
    defParamCharset: "utf8",
  });

  const datasetMustExist: RequestHandler = async (req, _res, next) => {
    await ctx.store.require(param(req, "dataset"));
    await ctx.store.ensureRoot();
    next();
  };

  router.post(
    "/api/datasets/:dataset/images",
    requireMultipart,
    datasetMustExist,
    upload.array("images", ctx.maxFilesPerUpload),
    uploadErrors(ctx),
    (async (req, res) => {
      const dataset = param(req, "dataset");
      const files = (req.files as Express.Multer.File[] | undefined) ?? [];
      if (files.length === 0) throw new HttpError(400, "Choose at least one image to upload.");
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
    const file = await requireImage(await ctx.store.require(param(req, "dataset")), param(req, "image"));
    res.set("Cache-Control", "private, no-cache");
    res.sendFile(file, { dotfiles: "allow" });
  });

  router.get("/api/datasets/:dataset/images/:image/thumb", async (req, res) => {
    const dataset = param(req, "dataset");
    const file = await requireImage(await ctx.store.require(dataset), param(req, "image"));
    let thumb: string;
    try {
      thumb = await ctx.thumbs.get(dataset, param(req, "image"), file);
    } catch {
      throw new HttpError(422, "This image cannot be read to make a thumbnail.");
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
