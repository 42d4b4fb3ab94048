/**
 * Copies of the studio's entry (start_server.sh and the setup library it sources) in folders of a test's own,
 * and a stand-in studio for it to run.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, copyFile, cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "./sandbox.js";

export const START_SERVER = path.join(REPO_ROOT, "start_server.sh");

/** Puts start_server.sh and setup/lib into `dir` (made when missing). */
export async function copyEntry(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copyFile(START_SERVER, path.join(dir, "start_server.sh"));
  await cp(path.join(REPO_ROOT, "setup/lib"), path.join(dir, "setup/lib"), { recursive: true });
}

export interface StandInStudio {
  /** The executable, for STUDIO_SERVER_CMD. */
  file: string;
  dir: string;
  /** How many times it was started. */
  count: () => number;
  read: (name: string) => string;
}

/**
 * A stand-in studio (a bash script) in `dir`: counts its starts in `count`, runs `body` (bash, with
 * `$n` the start's number and the studio's folder as its working folder), then writes `ready` and waits for
 * SIGTERM, which it notes in `events` before exiting 0.
 */
export async function standInStudio(dir: string, body = ""): Promise<StandInStudio> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, "studio");
  await writeFile(
    file,
    `#!/usr/bin/env bash
cd "$(dirname "$0")"
n=$(( $(cat count 2>/dev/null || echo 0) + 1 ))
echo "$n" > count
${body}
trap 'echo "got TERM" >> events; kill "$sleeper" 2>/dev/null; exit 0' TERM
sleep 300 & sleeper=$!
echo ready > ready
wait "$sleeper"
`,
  );
  await chmod(file, 0o755);
  const read = (name: string) =>
    existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), "utf8") : "";
  return { file, dir, count: () => Number(read("count").trim() || 0), read };
}
