/**
 * kill_comfy.sh against real processes: only the ComfyUI the studio started is stopped, with the stop ladder.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { freePort, isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { childOf, endChild, isAlive, killGroup, startListening, writePidFile } from "./processes.js";
import { REPO_ROOT, type Sandbox, eachSandbox } from "./sandbox.js";

const START = "setup/comfy/start_comfy.sh";
const KILL = "setup/comfy/kill_comfy.sh";

let box: Sandbox;
eachSandbox((made) => (box = made));

describe("kill_comfy.sh", () => {
  /**
   * A ComfyUI install whose Python is the real python3 and whose main.py listens on its --port, starts a
   * child, and ignores SIGTERM when `stubborn`.
   */
  async function realComfy(stubborn = false): Promise<void> {
    await box.write(
      "ComfyUI/main.py",
      [
        "import signal, socket, subprocess, sys, time",
        stubborn ? "signal.signal(signal.SIGTERM, signal.SIG_IGN)" : "",
        "port = int(sys.argv[sys.argv.index('--port') + 1])",
        "subprocess.Popen(['sleep', '300'])",
        "s = socket.socket(); s.bind(('127.0.0.1', port)); s.listen()",
        "time.sleep(300)",
      ].join("\n"),
    );
    await mkdir(box.ws("ComfyUI/venv/bin"), { recursive: true });
    await symlink("/usr/bin/python3", box.ws("ComfyUI/venv/bin/python"));
  }

  const startComfy = (port: number) => startListening(box, START, port, { COMFY_USE_SAGE_ATTENTION: "0" });

  it("stops the ComfyUI the studio started, with its children, and leaves one started by hand running", async () => {
    await realComfy();
    const port = await freePort();
    const { child } = await startComfy(port);
    const byHand = spawn("/usr/bin/python3", ["main.py", "--port", String(await freePort())], {
      cwd: box.ws("ComfyUI"),
      detached: true,
      stdio: "ignore",
    });
    try {
      const sleeper = await waitFor(() => childOf(child.pid!), { what: "ComfyUI's child" });
      const result = await box.run(KILL, { PORT: "1" });
      expect(result.exitCode, result.output).toBe(0);
      await waitFor(() => !isAlive(child.pid!) && !isAlive(sleeper), { what: "ComfyUI to stop" });
      expect(await isListening(port)).toBe(false);
      expect(isAlive(byHand.pid!)).toBe(true);
      expect(result.output).toContain(`left running, not started by the studio: process ${byHand.pid}`);
      expect(box.exists(`.comfystudio/run/comfy-ui.${port}.pid`)).toBe(false);
    } finally {
      killGroup(byHand.pid);
      await endChild(child);
    }
  });

  it("kills a ComfyUI that ignores SIGTERM once STOP_GRACE_MS has passed", async () => {
    await realComfy(true);
    const port = await freePort();
    const { child } = await startComfy(port);
    try {
      const result = await box.run(KILL, { STOP_GRACE_MS: "300" });
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toContain("still running after 300 ms, killing");
      expect(isAlive(child.pid!)).toBe(false);
    } finally {
      await endChild(child);
    }
  });

  it("never stops a process whose pid file no longer matches it, nor one that only listens on the port", async () => {
    const port = await freePort();
    const other = spawn(
      process.execPath,
      ["-e", `require("node:net").createServer().listen(${port}, "127.0.0.1")`],
      {
        detached: true,
        stdio: "ignore",
      },
    );
    try {
      await waitFor(() => isListening(port), { what: "the other listener" });
      // A pid file from an earlier boot that names this pid now.
      const file = await writePidFile(box, "comfy-ui", port, other.pid!);
      await writeFile(
        file,
        (await box.read(`.comfystudio/run/comfy-ui.${port}.pid`)).replace(/\S+\n$/, "earlier-boot\n"),
      );
      const result = await box.run(KILL, { COMFYUI_PORT: String(port) });
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toContain("ComfyUI is not running");
      expect(isAlive(other.pid!)).toBe(true);
      expect(existsSync(file)).toBe(false);
    } finally {
      killGroup(other.pid);
    }
  });

  it("never stops the process that runs it, even when a pid file names it", async () => {
    // A stand-in studio that names itself in a pid file, then runs the kill script as a child.
    const program = `
      const { spawnSync } = require("node:child_process");
      const fs = require("node:fs");
      const stat = fs.readFileSync("/proc/self/stat", "utf8");
      const ticks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
      fs.mkdirSync(process.env.WORKSPACE_DIR + "/.comfystudio/run", { recursive: true });
      fs.writeFileSync(process.env.WORKSPACE_DIR + "/.comfystudio/run/comfy-ui.1.pid", process.pid + " " + ticks + " " + boot + "\\n");
      const run = spawnSync("bash", [process.argv[1]], { env: process.env, encoding: "utf8" });
      process.stdout.write(JSON.stringify({ status: run.status, output: run.stdout + run.stderr }));`;
    const result = await execa(process.execPath, ["-e", program, path.join(REPO_ROOT, KILL), "main.py"], {
      env: box.env(),
      extendEnv: false,
      reject: false,
    });
    expect(result.signal, result.stderr).toBeUndefined();
    expect(result.exitCode).toBe(0);
    const child = JSON.parse(result.stdout) as { status: number; output: string };
    expect(child.status, child.output).toBe(0);
    expect(child.output).toContain("nothing to stop");
  });

  it("succeeds when nothing runs", async () => {
    const result = await box.run(KILL);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain("ComfyUI is not running");
  });
});
