/**
 * Request guards every write passes: same origin (no other site can act for a user) and a JSON body.
 * Reads (GET, HEAD, OPTIONS) pass both.
 *
 * The same-origin rule works behind proxies: a write passes when its `Origin` names the host the request
 * was sent to, as the `Host` header or `X-Forwarded-Host` (the RunPod proxy, the studio's tool gateway) says.
 *
 * ```ts
 * app.use(sameOrigin);
 * router.post("/api/datasets", requireJson, handler);
 * ```
 */
import type { Request, RequestHandler } from "express";
import { forbidden, StudioError } from "./errors.js";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The hosts the request was sent to, as `host[:port]` the way an origin of `scheme` writes them. */
function requestHosts(req: Request, scheme: string): string[] {
  const named = [req.headers.host];
  const forwarded = req.headers["x-forwarded-host"];
  if (typeof forwarded === "string") named.push(...forwarded.split(","));
  const hosts: string[] = [];
  for (const value of named) {
    if (typeof value !== "string" || value.trim() === "") continue;
    try {
      // Through URL, so a default port (`:443` for https) is left out as it is in an Origin.
      hosts.push(new URL(`${scheme}//${value.trim()}`).host);
    } catch {
      // not a host
    }
  }
  return hosts;
}

/** 403 for a write from another site: `Sec-Fetch-Site: cross-site`, or an `Origin` of another host. */
export const sameOrigin: RequestHandler = (req, _res, next) => {
  if (READS.has(req.method)) return next();
  const refused = "This request came from another site (its Origin does not match); it was refused.";
  if (req.headers["sec-fetch-site"] === "cross-site") return next(forbidden(refused));
  const origin = req.headers.origin;
  if (origin === undefined) return next();
  let url: URL | null;
  try {
    url = new URL(origin);
  } catch {
    url = null;
  }
  if (url === null || url.host === "" || !requestHosts(req, url.protocol).includes(url.host)) {
    return next(forbidden(refused));
  }
  next();
};

/** 415 unless a write says it carries JSON. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (READS.has(req.method) || req.is("application/json")) return next();
  next(new StudioError(415, "This endpoint takes a JSON body: send Content-Type: application/json."));
};
