/**
 * What every tool's scripts share: strict bash, no eval, start scripts that exec the tool, and the setup
 * library split by concern with no file over 300 lines.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TOOLS } from "../../server/tools/registry.js";
import { REPO_ROOT } from "./sandbox.js";

describe("every tool's scripts", () => {
  for (const tool of TOOLS) {
    it(`${tool.name} has install, start, update, reinstall and kill scripts in strict bash`, () => {
      for (const action of ["install", "start", "update", "reinstall", "kill"]) {
        const file = path.join(REPO_ROOT, tool.folder, `${action}_${tool.stem}.sh`);
        expect(existsSync(file), file).toBe(true);
        const text = readFileSync(file, "utf8");
        expect(text.startsWith("#!/usr/bin/env bash\n"), file).toBe(true);
        expect(text, file).toMatch(/^set -euo pipefail$/m);
        expect(text, file).not.toMatch(/\beval\b/);
      }
    });
  }

  it("start scripts record the tool's pid and exec it in the foreground", () => {
    for (const tool of TOOLS) {
      const text = readFileSync(path.join(REPO_ROOT, tool.folder, `start_${tool.stem}.sh`), "utf8");
      expect(text, tool.id).toMatch(/^write_pid_file [\w-]+\n(.*\n){0,2} *exec /m);
      expect(text, tool.id).toMatch(/^listen_host$/m);
    }
  });

  it("the setup library is split by concern, each file under 300 lines", () => {
    const lib = path.join(REPO_ROOT, "setup/lib");
    const files = readdirSync(lib, { recursive: true, encoding: "utf8" }).filter((file) =>
      file.endsWith(".sh"),
    );
    expect(files).toEqual(
      expect.arrayContaining([
        "log.sh",
        "net.sh",
        "venv.sh",
        "process.sh",
        "reinstall.sh",
        "server/secrets.sh",
      ]),
    );
    for (const file of files) {
      const lines = readFileSync(path.join(lib, file), "utf8").split("\n").length;
      expect(lines, file).toBeLessThan(300);
    }
  });
});
