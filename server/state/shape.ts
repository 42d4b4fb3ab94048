/**
 * Shape checks for the studio's own JSON files (state.json, jobs.json). A file that parses but does not
 * have the shape the studio wrote is as broken as one that does not parse: the check throws a sentence,
 * and JsonFile sets the file aside with a warning.
 *
 * ```ts
 * const file = new JsonFile(path.join(stateDir, "state.json"), { validate: toolsState });
 * ```
 */

type Plain = Record<string, unknown>;

export class ShapeError extends Error {
  override name = "ShapeError";
}

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, what: string): Plain {
  if (!isPlainObject(value)) throw new ShapeError(`${what} is not an object`);
  return value;
}

function check(
  record: Plain,
  field: string,
  ok: (value: unknown) => boolean,
  what: string,
  optional = false,
): void {
  const value = record[field];
  if (optional && value === undefined) return;
  if (!ok(value)) throw new ShapeError(`${what} has a bad "${field}"`);
}

const nullOr = (test: (value: unknown) => boolean) => (value: unknown) => value === null || test(value);
const isString = (value: unknown) => typeof value === "string";
const isCount = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isPid = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value) && value > 1;
const isInteger = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value);

export const TOOL_STATES = ["stopped", "starting", "running", "stopping", "crashed"] as const;
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export const JOB_KINDS = ["tool", "custom_nodes", "models"] as const;

/** A job id is a UUID: it names the job's log file, so nothing else may pass. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** state.json: `{ version, tools: { [tool_id]: record } }`; records of unknown tools are dropped. */
export function toolsState<T>(knownIds: readonly string[]) {
  return (value: unknown): T => {
    const root = object(value, "the file");
    const tools = object(root.tools, "its tools");
    const kept: Plain = {};
    for (const [id, raw] of Object.entries(tools)) {
      if (!knownIds.includes(id)) continue;
      const what = `the record of ${id}`;
      const record = object(raw, what);
      check(record, "state", (v) => (TOOL_STATES as readonly unknown[]).includes(v), what);
      check(record, "owner", nullOr(isString), what, true);
      check(record, "pid", nullOr(isPid), what, true);
      check(record, "pgid", nullOr(isPid), what, true);
      check(record, "start_ticks", nullOr(isCount), what, true);
      check(record, "boot_id", nullOr(isString), what, true);
      for (const field of ["started_at", "ended_at", "signal", "message", "log_tail"])
        check(record, field, nullOr(isString), what, true);
      check(record, "exit_code", nullOr(isInteger), what, true);
      kept[id] = record;
    }
    return { ...root, tools: kept } as T;
  };
}

/** jobs.json: `{ version, jobs: [job] }`. */
export function jobsState<T>(value: unknown): T {
  const root = object(value, "the file");
  if (!Array.isArray(root.jobs)) throw new ShapeError("its jobs are not a list");
  root.jobs.forEach((raw: unknown, index: number) => {
    const what = `job ${index + 1}`;
    const job = object(raw, what);
    check(job, "job_id", (v) => typeof v === "string" && JOB_ID.test(v), what);
    check(job, "status", (v) => (JOB_STATUSES as readonly unknown[]).includes(v), what);
    check(job, "kind", (v) => (JOB_KINDS as readonly unknown[]).includes(v), what);
    for (const field of ["target", "action", "requested_by", "created_at"]) check(job, field, isString, what);
    for (const field of ["started_at", "ended_at", "message", "cancelled_by", "boot_id"])
      check(job, field, nullOr(isString), what, true);
    check(job, "exit_code", nullOr(isInteger), what, true);
    check(job, "pid", nullOr(isPid), what, true);
    check(job, "start_ticks", nullOr(isCount), what, true);
  });
  return root as T;
}
