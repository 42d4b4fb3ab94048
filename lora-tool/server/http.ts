/**
 * Reading requests: a JSON body checked with a zod schema, and route parameters. Bad input throws a 400
 * (StudioError) that names the bad field; the kit's error handler answers it as JSON.
 */
import { badRequest } from "@comfystudio/kit/errors";
import type { Request } from "express";
import { z } from "zod";

/** Parses `req.body` with `schema`, or throws a 400 naming the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw badRequest(`Invalid request: ${field}${issue?.message ?? "bad body"}.`);
}

/** A route parameter as one string (Express may type them as lists). */
export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown>)[name];
  if (typeof value !== "string") throw badRequest(`The ${name} name is missing.`);
  return value;
}
