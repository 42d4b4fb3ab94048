/**
 * The studio's secrets: which variables hold them, an environment without them (what every child gets),
 * and the 0600 file `start_server.sh` hands them over in (read once, then removed), so they never stay in
 * the environment of a long-lived process.
 *
 * The file holds one `NAME=value` line per secret; NAME is one of SECRET_VARIABLES; a value may hold any
 * character but a newline or NUL. Blank lines and lines starting with `#` are skipped.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, rmSync } from "node:fs";
import { ConfigError, type Env } from "@comfystudio/kit/env";

/** The environment variables that hold secrets: never passed to a child, never logged. */
export const SECRET_VARIABLES = [
  "STUDIO_PASSWORD",
  "ADMIN_PASSWORD",
  "SESSION_SECRET",
  "HF_TOKEN",
  "CIVITAI_TOKEN",
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/** The variable that names the secrets file. */
export const SECRETS_FILE_VARIABLE = "STUDIO_SECRETS_FILE";

/** A copy of `env` without the studio's secrets (and without the secrets file's name). */
export function withoutSecrets(env: Env): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key === SECRETS_FILE_VARIABLE) continue;
    if (!(SECRET_VARIABLES as readonly string[]).includes(key)) clean[key] = value;
  }
  return clean;
}

export function parseSecretsFile(text: string): Partial<Record<SecretVariable, string>> {
  const secrets: Partial<Record<SecretVariable, string>> = {};
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const at = line.indexOf("=");
    const name = at > 0 ? line.slice(0, at) : line;
    if (!(SECRET_VARIABLES as readonly string[]).includes(name) || line.includes("\0")) {
      throw new ConfigError(
        SECRETS_FILE_VARIABLE,
        `line ${index + 1} is not NAME=value with NAME one of ${SECRET_VARIABLES.join(", ")}`,
      );
    }
    secrets[name as SecretVariable] = line.slice(at + 1);
  });
  return secrets;
}

/** Reads the secrets file named by STUDIO_SECRETS_FILE and removes it; nothing when it is not set. */
export function takeSecretsFile(env: Env): Partial<Record<SecretVariable, string>> {
  const file = env[SECRETS_FILE_VARIABLE];
  if (!file) return {};
  let text: string;
  try {
    // Never through a link, never blocking on a FIFO: only a regular file is read.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (!fstatSync(fd).isFile()) throw new Error("it is not a regular file");
      text = readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ELOOP" ? "it is a link" : (error as Error).message;
    throw new ConfigError(SECRETS_FILE_VARIABLE, `cannot read "${file}": ${reason}`);
  } finally {
    rmSync(file, { force: true });
  }
  return parseSecretsFile(text);
}
