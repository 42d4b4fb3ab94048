/**
 * Structured log lines (pino's JSON lines, as the LoRA-Tool and the studio write them) shown the way a
 * person reads a log: time, level, message, then the other fields as `key=value`.
 *
 * ```ts
 * readableLine('{"level":30,"time":1733050000000,"pid":7,"hostname":"pod","msg":"listening","port":3000}')
 * // "12:06:40 INFO  listening port=3000"
 * ```
 */

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
/** Fields every line has that say nothing to a reader. */
const QUIET = new Set(["level", "time", "msg", "pid", "hostname", "v", "name", "app"]);

function timeOf(value: unknown): string {
  const date = typeof value === "number" || typeof value === "string" ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
}

function valueText(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) || value === "" ? JSON.stringify(value) : value;
  if (value && typeof value === "object" && "message" in value && typeof value.message === "string") {
    const stack = "stack" in value && typeof value.stack === "string" ? `\n${value.stack}` : "";
    return JSON.stringify(value.message) + stack.replace(/^.*\n/, "\n");
  }
  return JSON.stringify(value);
}

export function readableLine(line: string): string {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) return line;
  let record: unknown;
  try {
    record = JSON.parse(trimmed);
  } catch {
    return line;
  }
  if (!record || typeof record !== "object" || Array.isArray(record)) return line;
  const fields = record as Record<string, unknown>;
  if (typeof fields.msg !== "string" && typeof fields.level !== "number") return line;
  const level = typeof fields.level === "number" ? (LEVELS[fields.level] ?? String(fields.level)) : "";
  const extra = Object.entries(fields)
    .filter(([key]) => !QUIET.has(key))
    .map(([key, value]) => `${key}=${valueText(value)}`);
  return [timeOf(fields.time), level.padEnd(5), typeof fields.msg === "string" ? fields.msg : "", ...extra]
    .filter((part) => part !== "")
    .join(" ");
}

/** Every complete line of `text` (ending in a newline) made readable. */
export function readableLines(text: string): string {
  return text.replace(/^[ \t]*\{.*\}[ \t]*$/gm, readableLine);
}
