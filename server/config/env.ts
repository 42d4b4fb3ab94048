/**
 * Reading one environment variable as a typed value; a bad value throws a ConfigError naming the variable
 * and the value.
 *
 * ```ts
 * const port = readPort(env, "PORT", 8080);   // ConfigError: PORT: "80a" is not a port (...)
 * ```
 */
import { mkdirSync } from "node:fs";
import path from "node:path";

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** The value as it is (secrets keep their spaces), or undefined when it is unset or blank. */
export function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** The value trimmed, or undefined when it is unset or blank. */
export function trimmed(env: Env, name: string): string | undefined {
  return nonEmpty(env, name)?.trim();
}

export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  what: string,
): number {
  const raw = trimmed(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new ConfigError(name, `"${raw}" is not ${what}`);
  return value;
}

/** A number of minutes, decimals allowed; 0 means off. */
export function readMinutes(env: Env, name: string): number {
  const raw = trimmed(env, name);
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value) || value > 525_600) {
    throw new ConfigError(name, `"${raw}" is not a number of minutes (0 switches it off)`);
  }
  return value;
}

export function readPort(env: Env, name: string, fallback: number): number {
  return readInteger(env, name, fallback, 1, 65535, "a port (a whole number from 1 to 65535)");
}

export function readChoice<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = trimmed(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `"${raw}" is not one of ${allowed.join(", ")}`);
  }
  return raw as T;
}

/** A comma-separated list whose every item must be in `allowed`. */
export function readList<T extends string>(env: Env, name: string, allowed: readonly T[]): T[] {
  const raw = trimmed(env, name);
  if (raw === undefined) return [];
  const items = raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new ConfigError(name, `"${item}" is not one of ${allowed.join(", ")}`);
    }
  }
  return [...new Set(items)] as T[];
}

/** A folder, resolved against `base`; made when `create` is set. */
export function readDirectory(
  env: Env,
  name: string,
  fallback: string,
  base: string,
  create: boolean,
): string {
  const resolved = path.resolve(base, trimmed(env, name) ?? fallback);
  if (create) {
    try {
      mkdirSync(resolved, { recursive: true });
    } catch (error) {
      throw new ConfigError(name, `cannot create "${resolved}": ${(error as Error).message}`);
    }
  }
  return resolved;
}
