/**
 * The ComfyUI scripts (setup/comfy) run against stand-in commands in a temporary workspace.
 */
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort, isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import {
  REPO_ROOT,
  childOf,
  endChild,
  expectExeced,
  isAlive,
  killGroup,
  lastLine,
  makeSandbox,
  preflightHosts,
  startListening,
  withPrefix,
  writePidFile,
  type Sandbox,
} from "./sandbox.js";

const INSTALL = "setup/comfy/install_comfy.sh";
const START = "setup/comfy/start_comfy.sh";
const UPDATE = "setup/comfy/update_comfy.sh";
const REINSTALL = "setup/comfy/reinstall_comfy.sh";
const KILL = "setup/comfy/kill_comfy.sh";

let box: Sandbox;
beforeEach(async () => {
  box = await makeSandbox();
});
afterEach(async () => {
  await box.cleanup();
});

async function install(extra: Record<string, string> = {}): Promise<void> {
  const result = await box.run(INSTALL, extra);
  expect(result.exitCode, result.output).toBe(0);
}

describe("install_comfy.sh", () => {
  it("clones ComfyUI, makes a venv with uv, installs a CUDA torch, requirements and ComfyUI-Manager", async () => {
    await install();
    expect(box.exists("ComfyUI/main.py")).toBe(true);
    expect(box.exists("ComfyUI/.git")).toBe(true);
    expect(box.exists("ComfyUI/venv/bin/python")).toBe(true);

    // The Manager is the comfyui_manager package ComfyUI pins, not a clone.
    expect(await box.clones()).toEqual(["https://github.com/comfyanonymous/ComfyUI.git"]);
    expect(box.exists("ComfyUI/custom_nodes/ComfyUI-Manager")).toBe(false);
    const uv = await box.calls("uv");
    expect(withPrefix(uv, "venv")[0]?.args.at(-1)).toBe(box.ws("ComfyUI/venv"));
    const python = box.ws("ComfyUI/venv/bin/python");
    const installs = withPrefix(uv, "pip", "install").map((call) => call.args.slice(2));
    expect(installs).toContainEqual([
      "--python",
      python,
      "torch",
      "torchvision",
      "torchaudio",
      "--index-url",
      "https://download.pytorch.org/whl/cu128",
    ]);
    expect(installs).toContainEqual(["--python", python, "-r", box.ws("ComfyUI/requirements.txt")]);
    expect(installs).toContainEqual(["--python", python, "-r", box.ws("ComfyUI/manager_requirements.txt")]);
    // The hosts it needs were checked first.
    expect((await preflightHosts(box)).sort()).toEqual(
      ["github.com", "download.pytorch.org", "pypi.org", "files.pythonhosted.org"].sort(),
    );
  });

  it("says which hosts it cannot reach, within seconds and before it changes anything", async () => {
    const started = Date.now();
    const result = await box.run(INSTALL, { FAKE_FAIL: "curl:github.com;curl:pypi.org" });
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(lastLine(result.output)).toBe(
      "[comfy-install] error: cannot reach github.com (Could not resolve host: github.com), pypi.org (Could not resolve host: pypi.org): this step needs them. Check the pod's network (and HTTPS_PROXY, if it needs one), then run it again.",
    );
    expect(await box.clones()).toEqual([]);
    expect(readdirSync(box.workspace)).toEqual([]);
  });

  it("ends with an error line naming the step that failed, after trying it twice", async () => {
    const result = await box.run(INSTALL, { FAKE_FAIL: "pip:ComfyUI/requirements.txt" });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toMatch(
      /^\[comfy-install\] error: this step failed with exit code 1 \(the lines above say why\): uv pip install --python .*ComfyUI\/requirements\.txt$/,
    );
    const attempts = withPrefix(await box.calls("uv"), "pip", "install").filter((call) =>
      call.args.includes(box.ws("ComfyUI/requirements.txt")),
    );
    expect(attempts).toHaveLength(2);
  });

  it("keeps models in the shared folder: ComfyUI/models links to it and extra_model_paths.yaml names it", async () => {
    // The studio makes output folders, and the model downloader may write, before ComfyUI is installed.
    await box.write("ComfyUI/output/Rosa Macak Cizmesija/keep.png", "png");
    await box.write("ComfyUI/models/checkpoints/early.safetensors", "weights");
    await install();

    const link = box.ws("ComfyUI/models");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("../models");
    expect(await box.read("models/checkpoints/early.safetensors")).toBe("weights");
    expect(await box.read("ComfyUI/output/Rosa Macak Cizmesija/keep.png")).toBe("png");
    for (const folder of [
      "checkpoints",
      "diffusion_models",
      "unet",
      "vae",
      "text_encoders",
      "clip",
      "clip_vision",
    ]) {
      expect(box.exists(`models/${folder}`), folder).toBe(true);
    }
    for (const folder of ["loras", "controlnet", "upscale_models", "embeddings", "brand_new_models"]) {
      expect(box.exists(`models/${folder}`), folder).toBe(true);
    }
    // Downloads into ComfyUI/models/... land in the shared folder.
    await box.write("ComfyUI/models/loras/new.safetensors", "lora");
    expect(await box.read("models/loras/new.safetensors")).toBe("lora");

    const yaml = await box.read("ComfyUI/extra_model_paths.yaml");
    expect(yaml).toContain(`base_path: '${box.ws("models")}/'`);
    expect(yaml).toMatch(/^ {4}checkpoints: checkpoints\/$/m);
    expect(yaml).toMatch(/diffusion_models: \|\n {8}diffusion_models\/\n {8}unet\//);
    expect(yaml).toMatch(/text_encoders: \|\n {8}text_encoders\/\n {8}clip\//);
    expect(readdirSync(box.workspace).filter((name) => name.includes("partial"))).toEqual([]);
  });

  it("is harmless to run twice: nothing is cloned again and user files stay", async () => {
    await install();
    await box.write("ComfyUI/user/default/workflows/flow.json", "{}");
    await box.write("models/checkpoints/model.safetensors", "weights");
    await box.clearCalls();
    await install();
    expect(await box.clones()).toEqual([]);
    expect(withPrefix(await box.calls("uv"), "venv")).toEqual([]);
    expect(await box.read("ComfyUI/user/default/workflows/flow.json")).toBe("{}");
    expect(await box.read("models/checkpoints/model.safetensors")).toBe("weights");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
  });

  it("uses python3 -m venv and pip when uv is not installed", async () => {
    await box.cleanup();
    box = await makeSandbox({ omit: ["uv"] });
    await install();
    const python = await box.calls("python3");
    expect(withPrefix(python, "-m", "venv")[0]?.args.at(-1)).toBe(box.ws("ComfyUI/venv"));
    const venvPython = (await box.calls("python")).filter(
      (call) => call.command === box.ws("ComfyUI/venv/bin/python"),
    );
    const pipArgs = withPrefix(venvPython, "-m", "pip", "install").map((call) => call.args.slice(3));
    expect(pipArgs).toContainEqual(["-r", box.ws("ComfyUI/requirements.txt")]);
    expect(pipArgs.some((args) => args.includes("torch"))).toBe(true);
  });

  it("picks the torch build from the driver's CUDA version, and TORCH_INDEX_URL wins", async () => {
    await install({ FAKE_CUDA_VERSION: "13.0" });
    const torch = (await box.calls("uv")).filter((call) => call.args.includes("torch"));
    expect(torch[0]?.args.at(-1)).toBe("https://download.pytorch.org/whl/cu130");

    await box.clearCalls();
    await install({ TORCH_INDEX_URL: "https://example.invalid/whl" });
    const again = (await box.calls("uv")).filter((call) => call.args.includes("torch"));
    expect(again[0]?.args.at(-1)).toBe("https://example.invalid/whl");
  });

  it("fails without leaving a half-made ComfyUI when the clone fails", async () => {
    const result = await box.run(INSTALL, { FAKE_FAIL: "git clone:comfyanonymous" });
    expect(result.exitCode).not.toBe(0);
    expect(box.exists("ComfyUI")).toBe(false);
    expect(readdirSync(box.workspace)).toEqual([]);
  });
});

describe("reinstall_comfy.sh", () => {
  it("keeps models, outputs, inputs, workflows, settings and custom nodes; the code is fresh", async () => {
    await install();
    // What users made, which the reinstall moves into the fresh tree as it is.
    const made = {
      "ComfyUI/output/Ana Horvat/ComfyUI_00001_.png": "image",
      "ComfyUI/input/photo.png": "input",
      "ComfyUI/user/default/workflows/portrait.json": '{"nodes":[]}',
      "ComfyUI/user/default/comfy.settings.json": '{"theme":"dark"}',
      "ComfyUI/custom_nodes/my-node/requirements.txt": "numpy",
    };
    await box.writeFiles({
      "ComfyUI/models/checkpoints/model.safetensors": "weights",
      ...made,
      "ComfyUI/custom_nodes/my-node/.git/HEAD": "ref",
      "ComfyUI/main.py": "edited code",
    });
    await box.clearCalls();

    const result = await box.run(REINSTALL);
    expect(result.exitCode, result.output).toBe(0);

    await box.expectFiles({
      "models/checkpoints/model.safetensors": "weights",
      "ComfyUI/models/checkpoints/model.safetensors": "weights",
      ...made,
    });
    expect(await box.read("ComfyUI/main.py")).not.toBe("edited code");

    expect(await box.clones()).toContain("https://github.com/comfyanonymous/ComfyUI.git");
    const installs = withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.at(-1));
    expect(installs).toContain(box.ws("ComfyUI/custom_nodes/my-node/requirements.txt"));

    // The old tree is kept (without its venv), holding the old code.
    const old = readdirSync(box.workspace).filter((name) => name.startsWith("ComfyUI.old-"));
    expect(old).toHaveLength(1);
    expect(await box.read(`${old[0]}/main.py`)).toBe("edited code");
    expect(box.exists(`${old[0]}/venv`)).toBe(false);
  });

  it("moves the models of an old install without the shared folder into it", async () => {
    await install();
    // An install from before the shared folder: a real models folder.
    await rm(box.ws("ComfyUI/models"));
    await box.write("ComfyUI/models/vae/old-vae.safetensors", "vae");
    const result = await box.run(REINSTALL);
    expect(result.exitCode, result.output).toBe(0);
    expect(await box.read("models/vae/old-vae.safetensors")).toBe("vae");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
  });

  it("puts the old ComfyUI back when the fresh clone fails", async () => {
    await install();
    await box.write("ComfyUI/user/default/workflows/flow.json", "{}");
    const result = await box.run(REINSTALL, { FAKE_FAIL: "git clone:comfyanonymous" });
    expect(result.exitCode).not.toBe(0);
    expect(await box.read("ComfyUI/user/default/workflows/flow.json")).toBe("{}");
    expect(box.exists("ComfyUI/venv/bin/python")).toBe(true);
    expect(readdirSync(box.workspace).filter((name) => name.startsWith("ComfyUI."))).toEqual([]);
  });
});

describe("update_comfy.sh", () => {
  it("pulls fast-forward only, installs requirements and the Manager's pinned version, and links the models again", async () => {
    await install();
    // A git update that added a model folder replaced the link with a real folder.
    await rm(box.ws("ComfyUI/models"));
    await box.write("ComfyUI/models/brand_new_models/put_here", "");
    await box.write("ComfyUI/models/checkpoints/downloaded.safetensors", "weights");
    await box.clearCalls();

    const result = await box.run(UPDATE);
    expect(result.exitCode, result.output).toBe(0);
    const pulls = withPrefix(await box.calls("git"), "-C").filter((call) => call.args[2] === "pull");
    expect(pulls.map((call) => call.args)).toEqual([["-C", box.ws("ComfyUI"), "pull", "--ff-only"]]);
    const installs = withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.at(-1));
    expect(installs).toContain(box.ws("ComfyUI/requirements.txt"));
    expect(installs).toContain(box.ws("ComfyUI/manager_requirements.txt"));
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
    expect(await box.read("models/checkpoints/downloaded.safetensors")).toBe("weights");
  });

  it("with real git: an upstream change that adds a model folder updates cleanly and keeps the models shared", async () => {
    await box.cleanup();
    box = await makeSandbox({ omit: ["git"] });
    const gitEnv = {
      PATH: "/usr/bin:/bin",
      HOME: box.root,
      GIT_AUTHOR_NAME: "Upstream",
      GIT_AUTHOR_EMAIL: "upstream@example.com",
      GIT_COMMITTER_NAME: "Upstream",
      GIT_COMMITTER_EMAIL: "upstream@example.com",
      GIT_CONFIG_NOSYSTEM: "1",
    };
    const git = (cwd: string, ...args: string[]) =>
      execa("git", ["-c", "init.defaultBranch=master", ...args], { cwd, env: gitEnv, extendEnv: false });
    const upstream = path.join(box.root, "upstream-comfy");
    const files = {
      "main.py": "v1\n",
      "requirements.txt": "torch\n",
      "manager_requirements.txt": "comfyui_manager==4.0.5\n",
      "models/checkpoints/put_checkpoints_here": "",
      // What ComfyUI's own .gitignore leaves out.
      ".gitignore":
        "/output/\n/input/\n/user/\n/models/*\n/custom_nodes/*\n**/put*here\n/extra_model_paths.yaml\nvenv/\n",
    };
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(upstream, name)), { recursive: true });
      await writeFile(path.join(upstream, name), content);
    }
    await git(upstream, "init", "-q");
    await git(upstream, "add", "-A");
    await git(upstream, "add", "-f", "models/checkpoints/put_checkpoints_here");
    await git(upstream, "commit", "-q", "-m", "first");
    const env = { COMFY_REPO_URL: upstream, GIT_CONFIG_NOSYSTEM: "1" };
    await install(env);
    await box.write("ComfyUI/models/checkpoints/mine.safetensors", "weights");
    expect((await git(box.ws("ComfyUI"), "status", "--porcelain")).stdout).toBe("");

    await writeFile(path.join(upstream, "main.py"), "v2\n");
    await mkdir(path.join(upstream, "models/audio_things"), { recursive: true });
    await writeFile(path.join(upstream, "models/audio_things/put_audio_things_here"), "");
    await git(upstream, "add", "-A");
    await git(upstream, "add", "-f", "models/audio_things/put_audio_things_here");
    await git(upstream, "commit", "-q", "-m", "second");

    const result = await box.run(UPDATE, env);
    expect(result.exitCode, result.output).toBe(0);
    expect(await box.read("ComfyUI/main.py")).toBe("v2\n");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
    expect(box.exists("models/audio_things/put_audio_things_here")).toBe(true);
    expect(await box.read("models/checkpoints/mine.safetensors")).toBe("weights");
    expect((await git(box.ws("ComfyUI"), "status", "--porcelain")).stdout).toBe("");
  });

  it("fails with the reason when the pull cannot fast-forward, and keeps the models linked", async () => {
    await install();
    const result = await box.run(UPDATE, { FAKE_FAIL: `git pull:${box.ws("ComfyUI")}` });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("ComfyUI was not updated");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
  });

  it("refuses when ComfyUI is not installed", async () => {
    const result = await box.run(UPDATE);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/not installed/);
  });
});

describe("start_comfy.sh", () => {
  const artist = `Zoë "Z" O'Brien $(touch pwned) ; rm -rf x \`id\``;

  it("execs ComfyUI on 127.0.0.1 with one user per artist, the output root and the Manager, whatever the artist's name", async () => {
    await install();
    await box.clearCalls();
    const output = box.ws("ComfyUI/output");
    const result = await box.run(START, {
      PORT: "8199",
      STUDIO_USER: artist,
      OUTPUT_DIR: output,
      FAKE_RECORD_ENV: "PATH,VIRTUAL_ENV",
    });
    expect(result.exitCode, result.output).toBe(0);

    const runs = (await box.calls()).filter((call) => call.args[0] === "main.py");
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expectExeced(run, { command: box.ws("ComfyUI/venv/bin/python"), cwd: box.ws("ComfyUI") });
    expect(run.args).toEqual([
      "main.py",
      "--listen",
      "127.0.0.1",
      "--port",
      "8199",
      "--multi-user",
      "--output-directory",
      output,
      "--enable-manager",
      "--disable-auto-launch",
      "--preview-method",
      "auto",
    ]);
    // Custom nodes that run pip get ComfyUI's own.
    expect(run.env.PATH?.split(":")[0]).toBe(box.ws("ComfyUI/venv/bin"));
    expect(run.env.VIRTUAL_ENV).toBe(box.ws("ComfyUI/venv"));
    expect(existsSync(path.join(box.workspace, "pwned"))).toBe(false);
    expect(existsSync(box.ws("ComfyUI/pwned"))).toBe(false);
    // The pid file names the process that became ComfyUI.
    expect(await box.read(".comfystudio/run/comfy-ui.8199.pid")).toMatch(/^\d+ \d+ [\w-]+\n$/);
  });

  it("listens where LISTEN_HOST says, and refuses a LISTEN_HOST that is not an address", async () => {
    await install();
    await box.clearCalls();
    let result = await box.run(START, { PORT: "8199", LISTEN_HOST: "0.0.0.0" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.args[0] === "main.py");
    expect(run?.args.slice(1, 3)).toEqual(["--listen", "0.0.0.0"]);

    result = await box.run(START, { PORT: "8199", LISTEN_HOST: "0.0.0.0 --cpu" });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toBe(
      "[comfy] error: LISTEN_HOST must be an IP address or a host name (got '0.0.0.0 --cpu')",
    );
  });

  it("adds --use-sage-attention only when sageattention imports", async () => {
    await install();
    const env = { PORT: "8199", STUDIO_USER: "Ana Horvat" };
    await box.clearCalls();
    expect((await box.run(START, { ...env, FAKE_PY_MODULES: "sageattention" })).exitCode).toBe(0);
    let run = (await box.calls()).find((call) => call.args[0] === "main.py");
    expect(run?.args.at(-1)).toBe("--use-sage-attention");

    await box.clearCalls();
    expect((await box.run(START, { ...env, FAKE_PY_MODULES: "" })).exitCode).toBe(0);
    run = (await box.calls()).find((call) => call.args[0] === "main.py");
    expect(run?.args).not.toContain("--use-sage-attention");
  });

  it("refuses a bad port and a missing ComfyUI with a clear message", async () => {
    let result = await box.run(START, { PORT: "8188; rm -rf /" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("PORT must be a port number");
    result = await box.run(START, { PORT: "8188" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("ComfyUI is not installed");
  });
});

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
