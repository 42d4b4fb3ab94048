/**
 * Request bodies and queries are checked with zod; a failure is a 400 with a sentence naming the field.
 *
 * ```ts
 * const { tool_id } = parse(ToolBody, req.body);
 * ```
 */
import { z } from "zod";
import { badRequest } from "../util/errors.js";

/** A text field of at most `max` characters, without NUL; messages name the field. */
export const text = (name: string, max = 200) =>
  z
    .string({ error: `${name} must be a string` })
    .max(max, { error: `${name} is longer than ${max} characters` })
    .refine((value) => !value.includes("\0"), { error: `${name} may not contain a NUL character` });

export const ArtistBody = z.object({ artist: text("artist", 200) });
export const AdminModeBody = z.object({
  admin_mode: z.boolean({ error: "admin_mode must be true or false" }),
  password: text("password", 1000).optional(),
});
export const LoginBody = z.object({ password: text("password", 1000) });
export const ToolBody = z.object({ tool_id: text("tool_id", 100) });
export const StopBody = z.object({
  tool_id: text("tool_id", 100),
  force: z.boolean({ error: "force must be true or false" }).optional(),
});
export const KeepAliveBody = z.object({ tool_id: text("tool_id", 100).optional() });
export const ApiKeyBody = z.object({ rotate: z.literal(true, { error: "rotate must be true" }) });
export const OpenQuery = z.object({ next: text("next", 2000).optional() });
export const AdminActionBody = z.object({ tool_id: text("tool_id", 100), action: text("action", 100) });
export const CustomNodesBody = z.object({ action: text("action", 100) });
export const OldCopyBody = z.object({ action: text("action", 100), name: text("name", 200) });
export const DownloadBody = z.object({
  models: z
    .array(text("a model set id", 100), { error: "models must be a list of set ids" })
    .min(1, {
      error: "choose at least one model set",
    })
    .max(100),
  hf_token: text("hf_token", 1000).optional(),
  civit_token: text("civit_token", 1000).optional(),
});
export const JobBody = z.object({ job_id: text("job_id", 100) });
export const SourceBody = z.object({ source: text("source", 200) });
export const EmptyBody = z.object({}).loose();

export const LogsQuery = z.object({
  source: text("source", 200),
  cursor: z
    .string({ error: "cursor must be given once" })
    .regex(/^\d{1,15}$/, { error: "cursor must be a whole number (the cursor of the previous answer)" })
    .transform(Number)
    .optional(),
});

/** The value at `path` inside `root` (undefined when any step is missing). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Parses `value` with `schema`, or throws a 400 naming the first problem. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  if (value === undefined || value === null || typeof value !== "object" || Array.isArray(value)) {
    if (!(schema instanceof z.ZodObject)) throw badRequest("The request is missing its parameters.");
    throw badRequest("The request body must be a JSON object.");
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") || "body";
  const missing = issue?.code === "invalid_type" && valueAt(value, issue.path) === undefined;
  const message = missing ? `${field} is missing` : (issue?.message ?? "invalid");
  throw badRequest(`Invalid request: ${message}.`);
}
