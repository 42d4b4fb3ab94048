/**
 * JSON answers for everything that is not a route's own answer: unknown paths, thrown errors, body parser
 * refusals, a full disk, and requests Node refuses before the app sees them. Every answer is
 * `{ success: false, message }`; a fault (5xx) is logged and its details stay in the log.
 *
 * ```ts
 * app.use(notFoundHandler);
 * app.use(errorHandler({ name: "The LoRA-Tool", logger }));
 * answerClientErrors(server);
 * ```
 */
import type { Server } from "node:http";
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { StudioError } from "./errors.js";

/** The part of a logger (pino's) the handler uses. */
export interface ErrorLog {
  error(fields: object, message: string): void;
}

/** Sends `{ ...fields, success: false, message }` with `status`. */
export function fail(
  res: Response,
  status: number,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  res.status(status).json({ ...fields, success: false, message });
}

export const notFoundHandler: RequestHandler = (req, res) => {
  fail(res, 404, `There is nothing at ${req.method} ${req.path}.`);
};

interface HttpishError {
  type?: unknown;
  status?: unknown;
  statusCode?: unknown;
  limit?: unknown;
  code?: unknown;
  message?: unknown;
}

function mebibytes(bytes: unknown): string {
  return typeof bytes === "number"
    ? ` (the limit is ${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB)`
    : "";
}

/** The 4xx answer for errors of the body parser and other middleware, or null for a fault. */
function clientProblem(error: HttpishError): [number, string] | null {
  if (error.type === "entity.too.large")
    return [413, `The request body is too large${mebibytes(error.limit)}.`];
  if (error.type === "entity.parse.failed") return [400, "The request body is not valid JSON."];
  if (error.type === "encoding.unsupported" || error.type === "charset.unsupported") {
    return [415, "The request body's encoding is not supported; send UTF-8 JSON."];
  }
  const status = typeof error.status === "number" ? error.status : error.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const message = typeof error.message === "string" && error.message !== "" ? error.message : "";
    return [status, message === "" ? "The request was refused." : `The request was refused: ${message}.`];
  }
  return null;
}

export interface ErrorHandlerOptions {
  /** Who answers, for the sentence of a fault: "The studio", "The LoRA-Tool". */
  name: string;
  /** Where faults are logged when the request has no logger of its own (pino-http's `req.log`). */
  logger?: ErrorLog;
}

export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next) => {
    const log = (req as { log?: ErrorLog }).log ?? options.logger;
    if (error instanceof StudioError) {
      res.set(error.headers);
      return fail(res, error.status, error.message, error.fields);
    }
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- `unknown` narrowed for reading fields
    const problem = clientProblem((error ?? {}) as HttpishError);
    if (problem) return fail(res, ...problem);
    const code = (error as HttpishError | null)?.code;
    const diskFull = code === "ENOSPC" || code === "EDQUOT";
    log?.error(
      { err: error, method: req.method, path: req.path },
      diskFull ? "the disk is full" : "request failed",
    );
    // An answer already under way (a download) cannot turn into an error: end it so the client sees it broke.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (diskFull) {
      return fail(
        res,
        507,
        `${options.name} cannot save this: the disk is full. Free some space on the volume and try again.`,
      );
    }
    fail(res, 500, `${options.name} hit an unexpected error; it was logged.`);
  };
}

/**
 * Requests Node refuses before the app sees them (a request line or headers over 16 KiB, a malformed
 * request) get a JSON answer too.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
    const message = tooLarge
      ? "The request's address or headers are larger than 16 KiB."
      : "The request could not be read as HTTP.";
    const body = JSON.stringify({ success: false, message });
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
