/**
 * Request guards: security headers (a CSP with no inline scripts), same-origin writes, and the body
 * type each write must have.
 */
import type { RequestHandler } from "express";
import helmet from "helmet";
import { HttpError } from "./http.js";

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:", "blob:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    },
    // TLS, when there is any, ends at the pod's proxy; the tool itself speaks plain HTTP.
    strictTransportSecurity: false,
  });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

/** 403 for a write whose `Origin` names another host than the one the request was sent to. */
export const sameOriginWrites: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  if (req.get("sec-fetch-site") === "cross-site") {
    return next(new HttpError(403, "Cross-site requests are refused."));
  }
  const origin = req.get("origin");
  if (origin === undefined) return next();
  const originHost = hostOf(origin);
  const hosts = [req.get("host"), req.get("x-forwarded-host")]
    .filter((value): value is string => typeof value === "string")
    .flatMap((value) => value.split(","))
    .map((value) => value.trim().toLowerCase());
  if (originHost === null || !hosts.includes(originHost)) {
    return next(new HttpError(403, "Requests from another site are refused."));
  }
  next();
};

function mediaType(req: Parameters<RequestHandler>[0]): string {
  return (req.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** 415 unless the write carries JSON. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method) || mediaType(req) === "application/json") return next();
  next(new HttpError(415, "Send the request body as JSON (Content-Type: application/json)."));
};

/** 415 unless the write is a multipart upload. */
export const requireMultipart: RequestHandler = (req, _res, next) => {
  if (mediaType(req) === "multipart/form-data") return next();
  next(new HttpError(415, "Upload images as multipart/form-data."));
};
