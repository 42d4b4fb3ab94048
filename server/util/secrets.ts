import { createHash, timingSafeEqual } from "node:crypto";

/** Compares a typed password with the real one in constant time (both hashed to the same length). */
export function passwordMatches(given: string | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
