/**
 * Safe names for datasets and files.
 *
 * ```ts
 * checkName("cat_01.png", "image");   // returns the name, or throws a 400 (StudioError)
 * ```
 * Paths are then made with the kit's `childPath`, which keeps them inside their folder.
 */
import path from "node:path";
import { badRequest } from "@comfystudio/kit/errors";

/** Letters (any script), digits, `_`, `-`, `.`, space; starts with a letter, digit or `_`. */
const SAFE_NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_. -]*$/u;
export const MAX_NAME_LENGTH = 100;

export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp"] as const;

/** Why `name` is not safe, or null when it is. */
export function nameProblem(name: unknown): string | null {
  if (typeof name !== "string" || name.length === 0) return "is empty";
  if (name.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains control characters";
  if (name.includes("/") || name.includes("\\")) return "contains a slash";
  if (name.includes("..")) return "contains '..'";
  if (name !== name.trim()) return "starts or ends with a space";
  if (name.endsWith(".")) return "ends with a dot";
  if (!SAFE_NAME.test(name)) {
    return "may only use letters, digits, spaces, '.', '-' and '_', and must start with a letter, digit or '_'";
  }
  return null;
}

export function isSafeName(name: unknown): name is string {
  return nameProblem(name) === null;
}

/** Returns `name` when safe, else throws a 400 that names what is wrong. */
export function checkName(name: unknown, what: string): string {
  const problem = nameProblem(name);
  if (problem) {
    const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 60)) : "";
    throw badRequest(`The ${what} name ${shown} ${problem}.`.replace("  ", " "));
  }
  return name as string;
}

export function isImageName(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
}

/** `cat_01.png` -> `cat_01.txt`: the caption file AI-Toolkit reads beside an image. */
export function captionNameFor(imageName: string): string {
  return `${path.basename(imageName, path.extname(imageName))}.txt`;
}

/** The image name's stem, lower-cased, used to keep one image per caption file. */
export function stemKey(imageName: string): string {
  return path.basename(imageName, path.extname(imageName)).toLowerCase();
}

/**
 * Turns a file name from a browser into a safe one: separators, `..` and control characters are
 * refused (null); other odd characters become `_`; the extension is lower-cased.
 */
export function normaliseUploadName(original: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f/\\]/.test(original) || original.includes("..")) return null;
  const ext = path.extname(original).toLowerCase();
  let stem = path.basename(original, path.extname(original));
  stem = stem
    .normalize("NFC")
    .replace(/[^\p{L}\p{N}_. -]/gu, "_")
    .replace(/^[. -]+/, "")
    .replace(/[. ]+$/, "")
    .slice(0, MAX_NAME_LENGTH - 10);
  if (stem === "") stem = "image";
  const name = `${stem}${ext}`;
  return isSafeName(name) ? name : null;
}
