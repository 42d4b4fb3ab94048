/**
 * Request safety: JSON-only POSTs, same-origin POSTs, the login gate, and JSON answers for unknown paths
 * and faults.
 */
import type { Server } from "node:http";
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import { StudioError } from "../util/errors.js";

/** Sends `{ success: false, message }` with `status`. */
export function fail(
  res: Response,
  status: number,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  res.status(status).json({ ...fields, success: false, message });
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
  return hosts
    .filter((host): host is string => typeof host === "string" && host !== "")
    .map((host) => host.toLowerCase());
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
    if (req.method === "GET" && (req.path === "/" || req.path.startsWith("/open/"))) return next();
    fail(res, 401, "Log in first: this studio needs its password.");
  };
}

/**
 * OPTIONS gets a JSON answer like everything else. The studio answers no cross-origin preflight (it sends
 * no CORS headers), so a browser on another site can never call it.
 */
export const optionsHandler: RequestHandler = (req, res, next) => {
  if (req.method !== "OPTIONS") return next();
  res.set("Allow", "GET, HEAD, POST");
  res.json({ success: true, message: "This studio takes GET and POST requests from its own pages." });
};

export const notFoundHandler: RequestHandler = (req, res) => {
  fail(res, 404, `There is nothing at ${req.method} ${req.path}.`);
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

export function errorHandler(): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof StudioError) {
      res.set(error.headers);
      return fail(res, error.status, error.message, error.fields);
    }
    const parserError = error as BodyParserError;
    if (parserError.type === "entity.too.large")
      return fail(res, 413, "The request body is larger than 1 MiB.");
    if (parserError.type === "entity.parse.failed") {
      return fail(res, 400, "The request body is not valid JSON.");
    }
    if (parserError.type === "encoding.unsupported" || parserError.type === "charset.unsupported") {
      return fail(res, 415, "The request body's encoding is not supported; send UTF-8 JSON.");
    }
    if (typeof parserError.status === "number" && parserError.status >= 400 && parserError.status < 500) {
      return fail(res, parserError.status, parserError.message || "The request was refused.");
    }
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === "ENOSPC" || code === "EDQUOT") {
      req.log?.error({ err: error }, "the disk is full");
      if (res.headersSent) return;
      return fail(
        res,
        507,
        "The studio's disk is full, so this change could not be saved; free some space on the volume and try again.",
      );
    }
    req.log?.error({ err: error }, "request failed");
    if (res.headersSent) return;
    fail(
      res,
      500,
      `The studio hit an unexpected error (${(error as Error)?.message ?? "unknown"}); it was logged.`,
    );
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

/**
 * Requests Node refuses before the app sees them (a request line or headers over 16 KiB, a malformed
 * request) get a JSON answer too, like every other answer of the studio.
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
