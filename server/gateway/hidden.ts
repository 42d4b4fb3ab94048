/**
 * Answers with fields only admins see (the registry's `hidden`): AI-Toolkit's settings hold the Hugging
 * Face token an admin typed in, and its pages read them all, folders and token alike. For anyone else the
 * gateway reads that answer whole (small JSON) and blanks those fields; admins get it as it is.
 *
 * ```ts
 * hiddenFields(aiToolkit, who, "GET", "/api/settings"); // ["HF_TOKEN"] for an artist, null for an admin
 * withoutFields(body, proxyRes, ["HF_TOKEN"]);           // '{"HF_TOKEN":"","TRAINING_FOLDER":"..."}'
 * ```
 */
import type { IncomingMessage } from "node:http";
import type { ToolDefinition } from "../tools/registry.js";
import type { Who } from "../users/who.js";
import { routedPath } from "./routed-path.js";

/** The fields to blank in the answer to this request, or null when it is passed on as it is. */
export function hiddenFields(
  tool: ToolDefinition,
  who: Who,
  method: string,
  url: string,
): readonly string[] | null {
  const rule = tool.hidden;
  if (!rule || who.isAdmin || method !== "GET") return null;
  return routedPath(url, []) === rule.path ? rule.fields : null;
}

/** The answer with `fields` blanked (at the top level of a JSON object); any other answer as it came. */
export function withoutFields(
  body: Buffer,
  proxyRes: IncomingMessage,
  fields: readonly string[],
): Buffer | string {
  if (!/\bjson\b/i.test(proxyRes.headers["content-type"] ?? "")) return body;
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return body;
  const copy = { ...(value as Record<string, unknown>) };
  for (const field of fields) if (field in copy) copy[field] = "";
  return JSON.stringify(copy);
}
