/**
 * JSON answers and errors: every answer carries `success`; failures carry a `message` a person can act on.
 */
import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { z } from "zod";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Parses `req.body` with `schema`, or throws a 400 naming the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new HttpError(400, `Invalid request: ${field}${issue?.message ?? "bad body"}.`);
}

/** Express error payloads that already have a status (body parser, multer) keep it. */
function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (typeof error === "object" && error !== null) {
    const status =
      (error as { status?: unknown; statusCode?: unknown }).status ??
      (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 600) return status;
  }
  return 500;
}

function messageOf(error: unknown, status: number): string {
  if (error instanceof HttpError) return error.message;
  const type = (error as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return "The request body is too large (the limit is 1 MiB).";
  if (type === "entity.parse.failed") return "The request body is not valid JSON.";
  if (status === 404) return "Not found.";
  if (status < 500) return "The request could not be handled.";
  return "Something went wrong on the server; see its log.";
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = statusOf(error);
    if (status >= 500) logger.error({ err: error, method: req.method, path: req.path }, "request failed");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ success: false, message: messageOf(error, status) });
  };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ success: false, message: `Nothing at ${req.method} ${req.path}.` });
};

/** A route parameter as one string (Express may type them as lists). */
export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown>)[name];
  if (typeof value !== "string") throw new HttpError(400, `The ${name} name is missing.`);
  return value;
}
