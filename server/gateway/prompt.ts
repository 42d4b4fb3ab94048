/**
 * ComfyUI's prompt, rewritten so that every artist's images land in `output/{artist}/` whoever started
 * ComfyUI: every string input named `filename_prefix` gets the artist's folder in front (one that already
 * starts with it is left alone), and `extra_data.studio_artist` names the artist. A prefix that is
 * absolute or climbs with `..` is refused.
 *
 * ```ts
 * rewritePrompt({ prompt: { 9: { inputs: { filename_prefix: "ComfyUI" } } } }, "Rosa");
 * // prompt[9].inputs.filename_prefix === "Rosa/ComfyUI", extra_data.studio_artist === "Rosa"
 * ```
 */
import { badRequest } from "../util/errors.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The prefix with the artist's folder in front, or a 400 for one that leaves the output folder. */
export function prefixFor(prefix: string, artist: string): string {
  const normal = prefix.replace(/\\/g, "/");
  if (normal.startsWith("/") || /^[A-Za-z]:/.test(normal) || normal.split("/").includes("..")) {
    throw badRequest(
      `The filename_prefix "${prefix.slice(0, 100)}" leaves the output folder; use a relative name without "..".`,
    );
  }
  if (normal === artist || normal.startsWith(`${artist}/`)) return prefix;
  return `${artist}/${prefix}`;
}

/** Rewrites a `POST /prompt` body in place (see above); the body must be a JSON object. */
export function rewritePrompt(body: unknown, artist: string): Json {
  if (!isObject(body)) throw badRequest("The prompt must be a JSON object.");
  const prompt = body.prompt;
  if (isObject(prompt)) {
    for (const node of Object.values(prompt)) {
      if (!isObject(node) || !isObject(node.inputs)) continue;
      const value = node.inputs.filename_prefix;
      if (typeof value === "string") node.inputs.filename_prefix = prefixFor(value, artist);
    }
  }
  body.extra_data = { ...(isObject(body.extra_data) ? body.extra_data : {}), studio_artist: artist };
  return body;
}

/** The prompt paths of ComfyUI (it serves every route with and without `/api`). */
export const isPromptPath = (method: string, pathname: string) =>
  method === "POST" && (pathname === "/prompt" || pathname === "/api/prompt");

export const isUsersPath = (pathname: string) => pathname === "/users" || pathname === "/api/users";
