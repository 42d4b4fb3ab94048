/**
 * Reading settings from the environment: each reader returns a checked value or throws a ConfigError that
 * names the variable and the bad value. A variable that is unset or blank takes its default.
 *
 * ```ts
 * const port = readPort(process.env, "PORT", 3000);            // ConfigError "PORT: "x" is not a port ..."
 * const host = readHost(process.env, "LISTEN_HOST", "127.0.0.1");
 * const dir = readDirectory(process.env, "STATE_DIR", { fallback: "/workspace/.comfystudio", create: true });
 * ```
 */
import { mkdirSync } from "node:fs";
import path from "node:path";

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

export type Env = Record<string, string | undefined>;

/** The variable's value as it is (secrets keep their spaces), or undefined when it is unset or blank. */
export function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** The value trimmed, or undefined when it is unset or blank. */
export function trimmed(env: Env, name: string): string | undefined {
  return nonEmpty(env, name)?.trim();
}

/** A number of minutes, decimals allowed; 0 (the default) means off. */
export function readMinutes(env: Env, name: string): number {
  const raw = trimmed(env, name);
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value) || value > 525_600) {
    throw new ConfigError(name, `"${raw}" is not a number of minutes (0 switches it off)`);
  }
  return value;
}

/** One of `allowed`. */
export function readChoice<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = trimmed(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new ConfigError(name, `"${raw}" is not one of ${allowed.join(", ")}`);
  return raw as T;
}

/** A comma-separated list whose every item is in `allowed` (duplicates kept once). */
export function readList<T extends string>(env: Env, name: string, allowed: readonly T[]): T[] {
  const raw = trimmed(env, name);
  if (raw === undefined) return [];
  const items = raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new ConfigError(name, `"${item}" is not one of ${allowed.join(", ")}`);
  }
  return [...new Set(items)] as T[];
}

export interface IntegerRule {
  fallback: number;
  min: number;
  max: number;
  /** What the value must be, for the message: "a number of milliseconds". */
  what: string;
}

/** A whole number from `min` to `max`. */
export function readInteger(env: Env, name: string, rule: IntegerRule): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return rule.fallback;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < rule.min || value > rule.max) {
    throw new ConfigError(name, `"${raw}" is not ${rule.what}`);
  }
  return value;
}

export function readPort(env: Env, name: string, fallback: number): number {
  return readInteger(env, name, {
    fallback,
    min: 1,
    max: 65535,
    what: "a port (a whole number from 1 to 65535)",
  });
}

/** An address to listen on: a host name, an IPv4 or an IPv6 address (no scheme, no port). */
export function readHost(env: Env, name: string, fallback: string): string {
  const host = nonEmpty(env, name)?.trim() ?? fallback;
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ConfigError(name, `"${host}" is not an address`);
  return host;
}

export interface DirectoryRule {
  fallback: string;
  /** Relative values are taken from here (default: the working directory). */
  base?: string;
  /** Create the folder (and its parents) when it is missing. */
  create?: boolean;
  /** The mode of folders it creates. */
  mode?: number;
}

/** An absolute folder path, created when asked. */
export function readDirectory(env: Env, name: string, rule: DirectoryRule): string {
  const resolved = path.resolve(rule.base ?? process.cwd(), nonEmpty(env, name) ?? rule.fallback);
  if (rule.create) ensureDirectory(name, resolved, rule.mode);
  return resolved;
}

/** Creates `dir` (and its parents) when missing; a failure is a ConfigError naming `variable`. */
export function ensureDirectory(variable: string, dir: string, mode?: number): void {
  try {
    mkdirSync(dir, { recursive: true, mode });
  } catch (error) {
    throw new ConfigError(variable, `cannot create "${dir}": ${(error as Error).message}`);
  }
}
