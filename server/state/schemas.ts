/**
 * The shapes of the studio's own JSON files, as zod schemas: `state.json` (tools) and `jobs.json` (jobs).
 * A file that parses but does not have this shape is as broken as one that does not parse: `parseWith`
 * throws a ShapeError naming the first bad field, and JsonFile sets the file aside with a warning.
 * Fields added later default to null, so older files still load.
 */
import { z } from "zod";
import { JOB_KINDS, JOB_STATUSES, TOOL_STATES } from "../api.js";

export class ShapeError extends Error {
  override name = "ShapeError";
}

const text = z.string().nullable().default(null);
const pid = z.number().int().min(2).nullable().default(null);
const count = z.number().int().min(0).nullable().default(null);
const port = z.number().int().min(1).max(65535).nullable().default(null);

/** What is saved of a managed process (process/managed.ts): enough to find it again after a restart. */
export const ProcessStateSchema = z.object({
  pid,
  pgid: pid,
  start_ticks: count,
  boot_id: text,
  /** The marker value every process of the run carries in its environment. */
  run_id: text,
});
export type ProcessState = z.infer<typeof ProcessStateSchema>;

export const ToolRecordSchema = ProcessStateSchema.extend({
  state: z.enum(TOOL_STATES),
  owner: text,
  /** The loopback port the tool listens on; null for a tool started before the gateway (on its public port). */
  internal_port: port,
  /** The GPU an instance is pinned to (CUDA_VISIBLE_DEVICES), or null. */
  gpu: count,
  started_at: text,
  ended_at: text,
  exit_code: z.number().int().nullable().default(null),
  signal: text,
  message: text,
  log_tail: text,
  /** The last activity through the gateway, kept so a restart gives no tool a fresh idle period. */
  last_activity_at: text,
});
export type ToolRecord = z.infer<typeof ToolRecordSchema>;

/** A job id is a UUID: it names the job's log file, so nothing else may pass. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const JobRecordSchema = ProcessStateSchema.extend({
  job_id: z.string().regex(JOB_ID),
  kind: z.enum(JOB_KINDS),
  target: z.string(),
  action: z.string(),
  status: z.enum(JOB_STATUSES),
  exit_code: z.number().int().nullable().default(null),
  requested_by: z.string(),
  created_at: z.string(),
  started_at: text,
  ended_at: text,
  message: text,
  cancelled_by: text,
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/**
 * state.json. Version 1 kept one record per tool; version 2 keeps a list (one per instance). Records of
 * tools the registry does not know are dropped.
 */
export function toolsStateSchema(knownIds: readonly string[]) {
  const records = z.union([ToolRecordSchema.transform((record) => [record]), z.array(ToolRecordSchema)]);
  return z
    .object({ version: z.number().optional(), tools: z.record(z.string(), z.unknown()) })
    .transform((file, context) => {
      const tools: Record<string, ToolRecord[]> = {};
      for (const [id, raw] of Object.entries(file.tools)) {
        if (!knownIds.includes(id)) continue;
        const result = records.safeParse(raw);
        if (!result.success) {
          context.addIssue({ code: "custom", message: describe(result.error, `the record of ${id}`) });
          return z.NEVER;
        }
        tools[id] = result.data;
      }
      return { version: 2 as const, tools };
    });
}
export type ToolsState = { version: 2; tools: Record<string, ToolRecord[]> };

export const JobsStateSchema = z.object({ version: z.number().optional(), jobs: z.array(JobRecordSchema) });
export type JobsState = { version?: number; jobs: JobRecord[] };

function describe(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const field = issue?.path.filter((part) => typeof part !== "number").join(".");
  return field ? `${what} has a bad "${field}"` : `${what} is not a record`;
}

/** A validator for JsonFile: parses with `schema`, or throws a ShapeError naming the first problem. */
export function parseWith<T>(schema: z.ZodType<T>, what = "the file") {
  return (value: unknown): T => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const custom = result.error.issues.find((issue) => issue.code === "custom");
    if (custom) throw new ShapeError(custom.message);
    const first = result.error.issues[0];
    const index = first?.path.find((part) => typeof part === "number");
    const where = typeof index === "number" ? `${what}'s entry ${index + 1}` : what;
    throw new ShapeError(describe(result.error, where));
  };
}
