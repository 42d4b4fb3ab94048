/**
 * Request safety: JSON-only POSTs, same-origin POSTs, the login gate, and JSON answers for unknown paths
 * and faults.
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import { StudioError } from "../util/errors.js";

/** Sends `{ success: false, message }` with `status`. */
export function fail(res: Response, status: number, message: string): void {
  res.status(status).json({ success: false, message });
}

/** Every POST must say it carries JSON (415 otherwise). */
export const jsonOnly: RequestHandler = (req, res, next) => {
  if (req.method !== "POST") return next();
  if (!req.is("application/json")) {
    return fail(res, 415, "This endpoint takes a JSON body: send Content-Type: application/json.");
  }
  next();
};

/** The hosts a request may come from: its Host header and, behind the proxy, X-Forwarded-Host. */
function requestHosts(req: Request): string[] {
  const hosts = [req.headers.host];
  const forwarded = req.headers["x-forwarded-host"];
  if (typeof forwarded === "string") hosts.push(...forwarded.split(",").map((host) => host.trim()));
  return hosts.filter((host): host is string => typeof host === "string" && host !== "").map((host) => host.toLowerCase());
}

/** A POST whose Origin names another host is refused (403): no other site can act for a user. */
export const sameOrigin: RequestHandler = (req, res, next) => {
  if (req.method !== "POST") return next();
  const origin = req.headers.origin;
  if (origin === undefined) return next();
  let host: string | null;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    host = null;
  }
  if (host === null || !requestHosts(req).includes(host)) {
    return fail(res, 403, "This request came from another site (its Origin does not match); it was refused.");
  }
  next();
};

/** Paths that answer before a login when STUDIO_PASSWORD is set. */
const OPEN_PATHS = new Set(["/healthz", "/login", "/logout"]);

export function loginGate(required: boolean): RequestHandler {
  return (req, res, next) => {
    if (!required || req.session.loggedIn === true) return next();
    if (OPEN_PATHS.has(req.path) || req.path.startsWith("/static/")) return next();
    if (req.method === "GET" && req.path === "/") return next();
    fail(res, 401, "Log in first: this studio needs its password.");
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  fail(res, 404, `There is nothing at ${req.method} ${req.path}.`);
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

export function errorHandler(): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof StudioError) return fail(res, error.status, error.message);
    const parserError = error as BodyParserError;
    if (parserError.type === "entity.too.large") return fail(res, 413, "The request body is larger than 1 MiB.");
    if (parserError.type === "entity.parse.failed") {
      return fail(res, 400, "The request body is not valid JSON.");
    }
    if (parserError.type === "encoding.unsupported" || parserError.type === "charset.unsupported") {
      return fail(res, 415, "The request body's encoding is not supported; send UTF-8 JSON.");
    }
    if (typeof parserError.status === "number" && parserError.status >= 400 && parserError.status < 500) {
      return fail(res, parserError.status, parserError.message || "The request was refused.");
    }
    req.log?.error({ err: error }, "request failed");
    if (res.headersSent) return;
    fail(res, 500, `The studio hit an unexpected error (${(error as Error)?.message ?? "unknown"}); it was logged.`);
  };
}

/** Wraps an async handler so its rejection reaches the error handler. (Express 5 does this too.) */
export function route(handler: (req: Request, res: Response) => unknown): RequestHandler {
  return async (req, res, next) => {
    try {
      await handler(req, res);
    } catch (error) {
      next(error);
    }
  };
}
