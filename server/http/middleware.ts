/**
 * Request safety and answers. From the kit (shared with the LoRA-Tool): JSON-only and same-origin writes,
 * JSON answers for unknown paths, faults and requests Node refuses. The studio's own: the login gate,
 * OPTIONS in JSON, and `route` for async handlers.
 */
import type { Request, RequestHandler, Response } from "express";
import {
  answerClientErrors,
  errorHandler as kitErrorHandler,
  fail,
  notFoundHandler,
} from "@comfystudio/kit/answers";
import { requireJson, sameOrigin } from "@comfystudio/kit/guards";

export { answerClientErrors, fail, notFoundHandler, sameOrigin };

/** Every write must say it carries JSON (415 otherwise). */
export const jsonOnly = requireJson;

export const errorHandler = () => kitErrorHandler({ name: "The studio" });

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
