import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Compares a typed password with the real one in constant time (both hashed to the same length). */
export function passwordMatches(given: string | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** A tool's own access token, derived from the session secret (so it is stable across restarts). */
export function toolToken(sessionSecret: string, toolId: string): string {
  return createHmac("sha256", sessionSecret).update(`tool-token:${toolId}`).digest("base64url").slice(0, 32);
}
