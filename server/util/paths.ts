import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** Resolves `parts` under `root` and refuses any result outside it (`..`, absolute parts, NUL). */
export function resolveInside(root: string, ...parts: string[]): string {
  if (parts.some((part) => part.includes("\0"))) throw new Error("a path may not contain a NUL character");
  const base = path.resolve(root);
  const resolved = path.resolve(base, ...parts);
  if (resolved !== base && !resolved.startsWith(base + path.sep)) {
    throw new Error(`${resolved} is outside ${base}`);
  }
  return resolved;
}

/** Why `file` cannot be run as a script with `bash file` (missing, not a file, unreadable), or null. */
export function scriptProblem(file: string): string | null {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return "is missing";
  }
  if (!stat.isFile()) return "is not a file";
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return "cannot be read by the studio";
  }
  return null;
}
