/**
 * Every shell script in the repository passes shellcheck, and so do the bash stand-ins of
 * test/fixtures/bin. Skipped (with the reason in its name) only where shellcheck is not installed;
 * CI installs it.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { FIXTURE_BIN, REPO_ROOT } from "./sandbox.js";

const SHELLCHECK = "/usr/bin/shellcheck";
const SKIP_DIRS = new Set(["node_modules", "dist", "workspace", ".git"]);

function shellScripts(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...shellScripts(full));
    else if (entry.isFile() && entry.name.endsWith(".sh")) found.push(full);
  }
  return found;
}

const available = existsSync(SHELLCHECK);
const title = available ? "shellcheck" : `shellcheck (skipped: ${SHELLCHECK} is not installed)`;

describe.skipIf(!available)(title, () => {
  it("passes every *.sh file in the repository", async () => {
    const scripts = shellScripts(REPO_ROOT);
    expect(scripts.length).toBeGreaterThan(20);
    // One shellcheck per core, each with a share of the files.
    const workers = Math.max(1, Math.min(os.availableParallelism(), 4));
    const shares = Array.from({ length: workers }, (_, i) => scripts.filter((_, j) => j % workers === i));
    const results = await Promise.all(
      shares
        .filter((share) => share.length)
        .map((share) =>
          execa(SHELLCHECK, ["--external-sources", "--format=gcc", ...share], {
            cwd: REPO_ROOT,
            reject: false,
            all: true,
          }),
        ),
    );
    expect(results.map((result) => result.all).join(""), "shellcheck findings").toBe("");
    for (const result of results) expect(result.exitCode).toBe(0);
  });

  it("passes the bash stand-ins in test/fixtures/bin", async () => {
    const files = readdirSync(FIXTURE_BIN)
      .map((name) => path.join(FIXTURE_BIN, name))
      .filter((file) => /^#!\/usr\/bin\/env bash|^# shellcheck shell=bash/.test(readFileSync(file, "utf8")));
    expect(files.length).toBeGreaterThan(5);
    const result = await execa(SHELLCHECK, ["--external-sources", "--shell=bash", "--format=gcc", ...files], {
      cwd: FIXTURE_BIN,
      reject: false,
      all: true,
    });
    expect(result.all, "shellcheck findings").toBe("");
    expect(result.exitCode).toBe(0);
  });
});
