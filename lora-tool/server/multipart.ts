/**
 * Reading an upload request: multer writes the files of the `images` field to the datasets' temp folder
 * (same file system, so taking them in is a rename), and every way a multipart body can be wrong becomes
 * a clear 4xx: a wrong body type (415), a file or count over the limit (413), a wrong field or a malformed
 * body (400). A fault of the system (a full disk) stays a fault.
 */
import { randomUUID } from "node:crypto";
import { StudioError, badRequest } from "@comfystudio/kit/errors";
import type { ErrorRequestHandler, RequestHandler } from "express";
import multer from "multer";
import type { Context } from "./context.js";

/** 415 unless the write is a multipart upload. */
export const requireMultipart: RequestHandler = (req, _res, next) => {
  if (req.is("multipart/form-data")) return next();
  next(new StudioError(415, "Upload images as multipart/form-data."));
};

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
      if (error instanceof Error && !isSystemError(error) && !(error instanceof StudioError)) {
        return next(badRequest(`The upload could not be read as multipart/form-data (${error.message}).`));
      }
      return next(error);
    }
    const file = (error as { filename?: string }).filename;
    switch (error.code) {
      case "LIMIT_FILE_SIZE":
        return next(
          new StudioError(
            413,
            `${file ? `"${file}"` : "A file"} is larger than ${megabytes(ctx.uploadLimitBytes)}; nothing from this upload was saved.`,
          ),
        );
      case "LIMIT_FILE_COUNT":
        return next(new StudioError(413, `Upload at most ${ctx.maxFilesPerUpload} files at a time.`));
      case "LIMIT_UNEXPECTED_FILE":
        return next(badRequest('Send the images in the form field "images".'));
      default:
        return next(badRequest(`The upload could not be read (${error.message}).`));
    }
  };
}

/** The middleware that reads the files of an upload, then its error answers. */
export function readUpload(ctx: Context): [RequestHandler, ErrorRequestHandler] {
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
  return [upload.array("images", ctx.maxFilesPerUpload), uploadErrors(ctx)];
}
