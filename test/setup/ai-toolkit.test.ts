/**
 * The AI-Toolkit scripts (setup/ai-toolkit) against stand-in commands, and its kill script against real
 * processes.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { freePort, isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { findProcess, isAlive, killGroup, writePidFile } from "./processes.js";
import {
  expectExeced,
  lastErrorLine,
  lastLine,
  preflightHosts,
  toolScripts,
  withPrefix,
  type Sandbox,
  eachSandbox,
} from "./sandbox.js";

const AITK = toolScripts("ai-toolkit", "ai_toolkit");
const PINS = ["torch==2.13.0", "torchvision==0.28.0", "torchaudio==2.11.0"];

let box: Sandbox;
const boxes = eachSandbox((made) => (box = made));

async function install(extra: Record<string, string> = {}): Promise<void> {
  const result = await box.run(AITK.install, extra);
  expect(result.exitCode, result.output).toBe(0);
}

/** The args after `uv pip install --python X` of each install. */
async function pipInstalls(): Promise<string[][]> {
  return withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.slice(4));
}

describe("install_ai_toolkit.sh", () => {
  it("installs as upstream's installer does: pinned torch for the CUDA line, constraints, torchcodec, npm ci", async () => {
    await install({ FAKE_CUDA_VERSION: "13.0" });
    expect((await box.clones())[0]).toBe("https://github.com/ostris/ai-toolkit.git");
    expect(withPrefix(await box.calls("uv"), "venv")[0]?.args).toEqual([
      "venv",
      "--seed",
      "--python",
      "3.12",
      box.ws("ai-toolkit/venv"),
    ]);
    const index = "https://download.pytorch.org/whl/cu130";
    const links = ["torch", "torchvision", "torchaudio"].flatMap((name) => [
      "--find-links",
      `${index}/${name}/`,
    ]);
    const constraints = box.ws("ai-toolkit/venv/aitk_torch_constraints.txt");
    expect(await pipInstalls()).toEqual([
      [...PINS, "--index-url", index],
      ["-r", box.ws("ai-toolkit/requirements.txt"), "--constraint", constraints, ...links],
      ["--upgrade", "torchcodec==0.15.0", "--constraint", constraints, ...links],
    ]);
    expect(await box.read("ai-toolkit/venv/aitk_torch_constraints.txt")).toContain(
      "torch==2.13.0+cu130\ntorchvision==0.28.0+cu130\ntorchaudio==2.11.0+cu130\n",
    );
    const npm = await box.calls("npm");
    expect(npm.map((call) => call.args.slice(0, 2).join(" "))).toEqual([
      "ci --no-audit",
      "run update_db",
      "run build",
    ]);
    expect(new Set(npm.map((call) => call.cwd))).toEqual(new Set([box.ws("ai-toolkit/ui")]));
    expect((await preflightHosts(box)).sort()).toEqual(
      [
        "download.pytorch.org",
        "files.pythonhosted.org",
        "github.com",
        "pypi.org",
        "registry.npmjs.org",
      ].sort(),
    );

    // Twice is harmless.
    await box.clearCalls();
    await install({ FAKE_CUDA_VERSION: "13.0" });
    expect(await box.clones()).toEqual([]);
  });

  it("takes the cu126 build on a CUDA 12.x driver, and refuses one older than 12.6", async () => {
    await install({ FAKE_CUDA_VERSION: "12.8" });
    expect((await pipInstalls())[0]).toEqual([
      ...PINS,
      "--index-url",
      "https://download.pytorch.org/whl/cu126",
    ]);

    await box.clearCalls();
    const result = await box.run(AITK.update, { FAKE_CUDA_VERSION: "12.4" });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toBe(
      "[ai-toolkit-update] error: the NVIDIA driver supports CUDA 12.4 only, which is too old for AI-Toolkit's PyTorch (it needs CUDA 12.6 or newer): use a pod with a newer driver",
    );
  });

  it("says what to do when upstream's pins cannot be read, and takes AITK_TORCH_PACKAGES then", async () => {
    await box.write("ai-toolkit/.git/HEAD", "ref");
    await box.write("ai-toolkit/manager/spec.py", "# pins moved elsewhere\n");
    await box.write("ai-toolkit/ui/package.json", "{}");
    let result = await box.run(AITK.install);
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toMatch(
      /^\[ai-toolkit-install\] error: cannot read the PyTorch versions AI-Toolkit pins .*Set AITK_TORCH_PACKAGES=/,
    );
    await box.clearCalls();
    result = await box.run(AITK.install, {
      AITK_TORCH_PACKAGES: "torch==2.9.0 torchvision==0.24.0 torchaudio==2.9.0",
    });
    expect(result.exitCode, result.output).toBe(0);
    expect((await pipInstalls())[0]?.slice(0, 3)).toEqual([
      "torch==2.9.0",
      "torchvision==0.24.0",
      "torchaudio==2.9.0",
    ]);
  });
});

describe("update_ai_toolkit.sh", () => {
  it("pulls, follows upstream's pins when they move, and rebuilds the UI", async () => {
    await install();
    await box.write(
      "ai-toolkit/manager/spec.py",
      'TORCH = {"torch": "2.14.0", "torchvision": "0.29.0", "torchaudio": "2.11.0"}\nTORCHCODEC = "torchcodec==0.16.0"\n',
    );
    await box.clearCalls();
    const result = await box.run(AITK.update);
    expect(result.exitCode, result.output).toBe(0);
    expect(withPrefix(await box.calls("git"), "-C", box.ws("ai-toolkit"), "pull")).toHaveLength(1);
    const installs = await pipInstalls();
    expect(installs[0]?.slice(0, 3)).toEqual(["torch==2.14.0", "torchvision==0.29.0", "torchaudio==2.11.0"]);
    expect(installs.at(-1)?.slice(0, 2)).toEqual(["--upgrade", "torchcodec==0.16.0"]);
    expect((await box.calls("npm")).map((call) => call.args[1])).toContain("build");
  });
});

describe("start_ai_toolkit.sh", () => {
  it("runs the worker and `next start` on LISTEN_HOST:PORT under concurrently, the values through the environment", async () => {
    await install();
    await box.clearCalls();
    const result = await box.run(AITK.start, {
      PORT: "9675",
      STUDIO_USER: "Ana Horvat",
      FAKE_RECORD_ENV: "PORT,LISTEN_HOST",
    });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "concurrently");
    expectExeced(run, {
      command: box.ws("ai-toolkit/ui/node_modules/.bin/concurrently"),
      cwd: box.ws("ai-toolkit/ui"),
    });
    expect(run?.args).toEqual([
      "--restart-tries",
      "-1",
      "--restart-after",
      "1000",
      "-n",
      "WORKER,UI",
      "node dist/cron/worker.js",
      'next start --port "$PORT" --hostname "$LISTEN_HOST"',
    ]);
    expect(run?.env).toEqual({ PORT: "9675", LISTEN_HOST: "127.0.0.1" });
    expect(box.exists(".comfystudio/run/ai-toolkit.9675.pid")).toBe(true);

    // What concurrently's shell makes of the UI command.
    await box.clearCalls();
    await execa("sh", ["-c", run!.args.at(-1)!], {
      cwd: box.ws("ai-toolkit/ui"),
      env: box.env({ PATH: `${box.ws("ai-toolkit/ui/node_modules/.bin")}:/usr/bin:/bin`, ...run!.env }),
      extendEnv: false,
    });
    expect((await box.calls("next"))[0]?.args).toEqual([
      "start",
      "--port",
      "9675",
      "--hostname",
      "127.0.0.1",
    ]);
  });

  it("refuses a UI that is not built, and a start script that no longer runs the worker", async () => {
    await install();
    await writeFile(
      box.ws("ai-toolkit/ui/package.json"),
      JSON.stringify({ scripts: { start: "node server.js" } }),
    );
    let result = await box.run(AITK.start, { PORT: "9675" });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toMatch(/no longer runs dist\/cron\/worker\.js/);

    await box.clearCalls();
    await boxes.replace();
    await install();
    await rm(box.ws("ai-toolkit/ui/.next"), { recursive: true });
    result = await box.run(AITK.start, { PORT: "9675" });
    expect(lastLine(result.output)).toBe(
      "[ai-toolkit] error: AI-Toolkit's UI is not built (no ui/dist/cron/worker.js or ui/.next): ask an admin to run Update for AI-Toolkit",
    );
    expect(await box.calls("concurrently")).toEqual([]);
  });
});

describe("reinstall_ai_toolkit.sh", () => {
  it("keeps configs, datasets, outputs, models and the UI's database", async () => {
    await install();
    const made = {
      "ai-toolkit/config/my_lora.yaml": "name: my_lora",
      "ai-toolkit/datasets/cats/001.png": "cat",
      "ai-toolkit/datasets/cats/001.txt": "a cat",
      "ai-toolkit/output/my_lora/my_lora.safetensors": "lora",
      "ai-toolkit/models/base/model.safetensors": "base",
      "ai-toolkit/aitk_db.db": "jobs and settings",
    };
    await box.writeFiles({ ...made, "ai-toolkit/run.py": "edited" });
    const result = await box.run(AITK.reinstall);
    expect(result.exitCode, result.output).toBe(0);
    await box.expectFiles(made);
    expect(await box.read("ai-toolkit/config/examples/train_lora.yaml")).toContain("job");
    expect(await box.read("ai-toolkit/run.py")).not.toBe("edited");
    const old = readdirSync(box.workspace).filter((name) => name.startsWith("ai-toolkit.old-"));
    expect(old).toHaveLength(1);
    expect(box.exists(`${old[0]}/venv`)).toBe(false);
    expect(box.exists(`${old[0]}/ui/node_modules`)).toBe(false);
  });

  it("ends with the install's own error line when the install step fails, keeping the old tree", async () => {
    await install();
    const result = await box.run(AITK.reinstall, { FAKE_FAIL: "npm:ci" });
    expect(result.exitCode).not.toBe(0);
    expect(lastErrorLine(result.output)).toBe(
      "[ai-toolkit-install] error: AI-Toolkit's UI packages could not be installed (npm ci)",
    );
    expect(lastLine(result.output)).toMatch(
      /^\[ai-toolkit-reinstall\] warning: the old AI-Toolkit is kept at /,
    );
    expect(readdirSync(box.workspace).filter((name) => name.startsWith("ai-toolkit.old-"))).toHaveLength(1);
  });
});

describe("kill_ai_toolkit.sh", () => {
  it("stops the UI the studio started and its worker, but leaves a training run alone", async () => {
    const ui = box.ws("ai-toolkit/ui");
    await mkdir(ui, { recursive: true });
    const port = await freePort();
    // concurrently, with the UI (listening) and a training run as children.
    const script = [
      `(exec -a "python run.py config/my_lora.yaml" sleep 300) &`,
      `(exec -a "next-server" ${process.execPath} -e 'require("net").createServer().listen(${port}, "127.0.0.1")') &`,
      `exec -a "node concurrently -n WORKER,UI node dist/cron/worker.js" sleep 301`,
    ].join("\n");
    const tree = spawn("bash", ["-c", script], { cwd: ui, detached: true, stdio: "ignore" });
    let training = 0;
    try {
      await waitFor(() => isListening(port), { what: "the stand-in UI" });
      training = await waitFor(() => findProcess("python run.py"), { what: "the training run" });
      await writePidFile(box, "ai-toolkit", port, tree.pid!);
      const result = await box.run(AITK.kill);
      expect(result.exitCode, result.output).toBe(0);
      await waitFor(() => !isAlive(tree.pid!), { what: "concurrently to stop" });
      expect(await isListening(port)).toBe(false);
      expect(isAlive(training)).toBe(true);
    } finally {
      if (training) process.kill(training, "SIGKILL");
      killGroup(tree.pid);
    }
  });
});
