/**
 * How a tool port's browser sees the studio: its origin (for links back and the log-in redirect), whether
 * the request came over HTTPS, and the port's cookie for an artist.
 *
 * ```ts
 * res.setHeader("Set-Cookie", toolPortCookie(secret, toolId, port, "Rosa", req));
 * const back = `${studioOrigin(config, req)}/open/comfy-ui`;
 * ```
 */
import type { IncomingMessage } from "node:http";
import { serialize } from "cookie";
import type { Config } from "../config.js";
import { makeToolCookie, toolCookieName, TOOL_COOKIE_TTL_MS } from "./cookies.js";

/** The studio's origin as a browser on this tool port sees it. */
export function studioOrigin(config: Config, req: IncomingMessage): string {
  if (config.runpodPodId) return `https://${config.runpodPodId}-${config.port}.proxy.runpod.net`;
  const host = new URL(`http://${req.headers.host ?? "localhost"}`).hostname;
  const proto =
    String(req.headers["x-forwarded-proto"] ?? "http")
      .split(",")[0]!
      .trim() === "https"
      ? "https"
      : "http";
  return `${proto}://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

/** Whether the browser reached the port over HTTPS (RunPod's proxy says so in X-Forwarded-Proto). */
export const isSecure = (req: IncomingMessage): boolean =>
  String(req.headers["x-forwarded-proto"] ?? "")
    .split(",")[0]!
    .trim() === "https" || Boolean((req.socket as { encrypted?: boolean }).encrypted);

/** The `Set-Cookie` value that lets `artist` into `toolId` on `port` for TOOL_COOKIE_TTL_MS. */
export function toolPortCookie(
  secret: string,
  toolId: string,
  port: number,
  artist: string,
  req: IncomingMessage,
): string {
  const value = makeToolCookie(secret, { toolId, artist, expires: Date.now() + TOOL_COOKIE_TTL_MS });
  return serialize(toolCookieName(port), value, {
    httpOnly: true,
    sameSite: "lax",
    secure: isSecure(req),
    path: "/",
    maxAge: TOOL_COOKIE_TTL_MS / 1000,
  });
}
