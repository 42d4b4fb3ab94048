/**
 * The LoRA-Tool scripts (setup/lora-tool): its jobs need no compiler, only the built tool; its start passes
 * PORT and LISTEN_HOST on; its kill stops only the one the studio started.
 */
import { spawn } from "node:child_process";
import { cpSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { endChild, isAlive, killGroup, startListening, expectLeftRunning } from "./processes.js";
import { REPO_ROOT, lastLine, makeSandbox, toolScripts, type Sandbox } from "./sandbox.js";

let box: Sandbox;
let repo: string;
let LORA: ReturnType<typeof toolScripts>;
beforeEach(async () => {
  box = await makeSandbox();
  // A copy of the studio's scripts with a stand-in build of the tool (or none).
  repo = path.join(box.root, "repo");
  cpSync(path.join(REPO_ROOT, "setup"), path.join(repo, "setup"), { recursive: true });
  LORA = toolScripts("lora-tool", "lora_tool");
  for (const action of Object.keys(LORA) as (keyof typeof LORA)[])
    LORA[action] = path.join(repo, LORA[action]);
});
afterEach(async () => {
  await box.cleanup();
});

/** A built LoRA-Tool stand-in: listens on LISTEN_HOST:PORT and prints them. */
async function built(): Promise<void> {
  await mkdir(path.join(repo, "dist/lora-tool/server"), { recursive: true });
  await writeFile(
    path.join(repo, "dist/lora-tool/server/main.js"),
    `console.log("listening on " + process.env.LISTEN_HOST + ":" + process.env.PORT);
     require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), process.env.LISTEN_HOST);`,
  );
}

describe("LoRA-Tool jobs", () => {
  for (const action of ["install", "update", "reinstall"] as const) {
    it(`${action} needs no npm or tsc: it checks the build, and says what to do without one`, async () => {
      let result = await box.run(LORA[action], { REPO_DIR: repo });
      expect(result.exitCode).not.toBe(0);
      expect(lastLine(result.output)).toBe(
        `[lora-tool-${action}] error: the LoRA-Tool is not built: the build is missing (${repo}/dist/lora-tool/server/main.js). It is built with the studio, so run 'npm ci && npm run build' in ${repo} (the container's start_server.sh does this when the sources change), then try again`,
      );
      await built();
      result = await box.run(LORA[action], { REPO_DIR: repo });
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toContain("the LoRA-Tool is ready");
      expect(await box.calls("npm")).toEqual([]);
      expect(await box.calls("npx")).toEqual([]);
    });
  }
});

describe("start_lora_tool.sh and kill_lora_tool.sh", () => {
  it("starts it on LISTEN_HOST:PORT, and kill stops the one the studio started", async () => {
    await built();
    const port = await freePort();
    const { child } = await startListening(box, LORA.start, port, { REPO_DIR: repo });
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
      const result = await box.run(LORA.kill);
      expect(result.exitCode, result.output).toBe(0);
      await waitFor(() => !isAlive(child.pid!), { what: "the LoRA-Tool to stop" });
      expect(child.pid).toBeDefined();
    } finally {
      await endChild(child);
    }
    const result = await child.catch((error: unknown) => error as { all?: string });
    expect(result.all).toContain(`listening on 127.0.0.1:${port}`);
  });

  it("kill leaves a LoRA-Tool started by hand running", async () => {
    await built();
    const port = await freePort();
    const byHand = spawn(process.execPath, [path.join(repo, "dist/lora-tool/server/main.js")], {
      env: { PORT: String(port), LISTEN_HOST: "127.0.0.1" },
      detached: true,
      stdio: "ignore",
    });
    try {
      await expectLeftRunning(box, LORA.kill, byHand.pid!);
    } finally {
      killGroup(byHand.pid);
    }
  });
});
