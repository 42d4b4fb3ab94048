/**
 * The cookie a tool port sets once a ticket is swapped: self-contained and signed (HMAC with the session
 * secret), so it survives a studio restart without being stored. It names the tool's port (cookies ignore
 * ports on plain http), and carries the artist and an expiry; it is renewed while in use.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** How long a tool cookie is valid; one older than half of this is renewed on use. */
export const TOOL_COOKIE_TTL_MS = 12 * 60 * 60_000;

export const toolCookieName = (port: number) => `comfystudio_tool_${port}`;

export interface ToolPass {
  toolId: string;
  artist: string;
  expires: number;
}

function sign(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(`tool-cookie:${payload}`).digest("base64url");
}

export function makeToolCookie(secret: string, pass: ToolPass): string {
  const payload = Buffer.from(JSON.stringify([pass.toolId, pass.artist, pass.expires])).toString("base64url");
  return `${payload}.${sign(secret, payload)}`;
}

/** The pass in a cookie value, or null when it is forged, expired or for another tool. */
export function readToolCookie(
  secret: string,
  value: string,
  toolId: string,
  now = Date.now(),
): ToolPass | null {
  const [payload, signature, extra] = value.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [tool, artist, expires] = parsed as unknown[];
  if (tool !== toolId || typeof artist !== "string" || typeof expires !== "number" || expires <= now)
    return null;
  return { toolId: tool, artist, expires };
}
