/**
 * The JupyterLab, AI-Toolkit and SwarmUI scripts, run against stand-in commands; JupyterLab also
 * for real when the machine has a Jupyter Server.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TOOLS } from "../../server/tools/registry.js";
import { freePort, isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import {
  REPO_ROOT,
  childOf,
  isAlive,
  killGroup,
  makeSandbox,
  toolScripts,
  withPrefix,
  type Sandbox,
} from "./sandbox.js";

let box: Sandbox;
beforeEach(async () => {
  box = await makeSandbox();
});
afterEach(async () => {
  await box.cleanup();
});

const OWNED = ["comfy-ui", "jupyter-lab", "ai-toolkit", "swarm-ui"];

describe("every tool's scripts", () => {
  for (const tool of TOOLS.filter((t) => OWNED.includes(t.id))) {
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

  it("start scripts exec the server in the foreground", () => {
    for (const tool of TOOLS.filter((t) => OWNED.includes(t.id))) {
      const text = readFileSync(path.join(REPO_ROOT, tool.folder, `start_${tool.stem}.sh`), "utf8");
      expect(text, tool.id).toMatch(/^\s*exec /m);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// JupyterLab

const JUPYTER = toolScripts("jupyter", "jupyter");

describe("JupyterLab scripts with stand-ins", () => {
  it("install puts JupyterLab into a venv on the volume; update and reinstall work on it", async () => {
    let result = await box.run(JUPYTER.install);
    expect(result.exitCode, result.output).toBe(0);
    const venv = box.ws(".venvs/jupyterlab");
    expect(existsSync(path.join(venv, "bin/jupyter-lab"))).toBe(true);
    const pip = withPrefix(await box.calls("uv"), "pip", "install");
    expect(pip[0]?.args).toEqual([
      "pip",
      "install",
      "--python",
      `${venv}/bin/python`,
      "jupyterlab",
      "ipywidgets",
    ]);

    result = await box.run(JUPYTER.update);
    expect(result.exitCode, result.output).toBe(0);
    expect(withPrefix(await box.calls("uv"), "pip", "install").at(-1)?.args).toContain("--upgrade");

    await box.write("notebooks/analysis.ipynb", "{}");
    result = await box.run(JUPYTER.reinstall);
    expect(result.exitCode, result.output).toBe(0);
    expect(existsSync(path.join(venv, "bin/jupyter-lab"))).toBe(true);
    expect(await box.read("notebooks/analysis.ipynb")).toBe("{}");
  });

  it("start runs the venv's JupyterLab on PORT from the workspace, without a token when none is set", async () => {
    expect((await box.run(JUPYTER.install)).exitCode).toBe(0);
    await box.clearCalls();
    const result = await box.run(JUPYTER.start, { PORT: "8899" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "jupyter-lab");
    expect(run?.command).toBe(box.ws(".venvs/jupyterlab/bin/jupyter-lab"));
    expect(run?.cwd).toBe(box.workspace);
    expect(run?.ppid).toBe(process.pid);
    expect(run?.args).toEqual([
      "--ip=0.0.0.0",
      "--port=8899",
      "--no-browser",
      "--allow-root",
      `--ServerApp.root_dir=${box.workspace}`,
      "--ServerApp.allow_origin=*",
      "--ServerApp.trust_xheaders=True",
      "--IdentityProvider.token=",
      "--ServerApp.token=",
      "--ServerApp.password=",
    ]);
  });

  it("passes a token only through the environment, never on the command line", async () => {
    expect((await box.run(JUPYTER.install)).exitCode).toBe(0);
    await box.clearCalls();
    const secret = "s3cret-token-value";
    const result = await box.run(JUPYTER.start, {
      PORT: "8899",
      JUPYTER_TOKEN: secret,
      FAKE_RECORD_ENV: "JUPYTER_TOKEN",
    });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toContain(secret);
    const run = (await box.calls()).find((call) => call.name === "jupyter-lab")!;
    expect(run.args.join(" ")).not.toContain(secret);
    expect(run.args.some((arg) => arg.includes("token"))).toBe(false);
    expect(run.env.JUPYTER_TOKEN).toBe(secret);
  });

  it("start falls back to python3 -m jupyterlab, and says clearly when no Jupyter exists", async () => {
    // Only the stand-ins and the few system commands the script needs: no Jupyter of this machine.
    const minimal = path.join(box.root, "minimal-bin");
    await mkdir(minimal);
    for (const command of ["bash", "env", "dirname", "readlink", "mkdir", "ln", "cat", "sed", "head"]) {
      await symlink(`/usr/bin/${command}`, path.join(minimal, command));
    }
    const PATH = `${box.bin}:${minimal}`;
    let result = await box.run(JUPYTER.start, { PATH, PORT: "8899", FAKE_PY_MODULES: "jupyterlab" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls("python3")).find((call) => call.args[0] === "-m");
    expect(run?.args.slice(0, 3)).toEqual(["-m", "jupyterlab", "--ip=0.0.0.0"]);

    result = await box.run(JUPYTER.start, { PATH, PORT: "8899", FAKE_PY_MODULES: "" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("JupyterLab is not installed");
  });
});

/** Whether /usr/bin/python3 has a Jupyter Server (Debian's python3-jupyter-server) and no JupyterLab. */
function hasJupyterServer(): boolean {
  return (
    existsSync("/usr/bin/python3") &&
    !existsSync("/usr/bin/jupyter-lab") &&
    spawnSync("/usr/bin/python3", ["-c", "import jupyter_server"], { stdio: "ignore" }).status === 0
  );
}

describe.skipIf(!hasJupyterServer())("JupyterLab scripts with a real Jupyter Server", () => {
  async function startReal(extra: Record<string, string>) {
    const port = await freePort();
    const child = box.spawn(JUPYTER.start, { PATH: "/usr/bin:/bin", PORT: String(port), ...extra });
    const ready = await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`start_jupyter.sh exited: ${child.exitCode}`);
        const response = await fetch(`http://127.0.0.1:${port}/api`).catch(() => null);
        return response?.status === 200 ? response : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "Jupyter to answer /api" },
    );
    return { port, child, ready };
  }

  it("answers /api, needs no token when none is set, and kill stops it", async () => {
    const { port, child, ready } = await startReal({});
    try {
      expect(await ready.json()).toHaveProperty("version");
      const contents = await fetch(`http://127.0.0.1:${port}/api/contents`);
      expect(contents.status).toBe(200);
      const result = await box.run(JUPYTER.kill, { JUPYTER_PORT: String(port) });
      expect(result.exitCode, result.output).toBe(0);
      await waitFor(() => !child.pid || !isAlive(child.pid), { timeoutMs: 10_000, what: "Jupyter to stop" });
      expect(await isListening(port)).toBe(false);
    } finally {
      child.kill("SIGKILL");
      await child;
    }
  });

  it("asks for the token from JUPYTER_TOKEN, which is not in its process arguments", async () => {
    const secret = "tok-" + Math.random().toString(36).slice(2);
    const { port, child } = await startReal({ JUPYTER_TOKEN: secret });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/api/contents`)).status).toBe(403);
      const authorised = await fetch(`http://127.0.0.1:${port}/api/contents`, {
        headers: { Authorization: `token ${secret}` },
      });
      expect(authorised.status).toBe(200);
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8");
      expect(cmdline).toContain("jupyter_server");
      expect(cmdline).not.toContain(secret);
    } finally {
      await box.run(JUPYTER.kill, { JUPYTER_PORT: String(port) });
      child.kill("SIGKILL");
      await child;
    }
  });
});

// ------------------------------------------------------------------------------------------------
// AI-Toolkit

const AITK = toolScripts("ai-toolkit", "ai_toolkit");

describe("AI-Toolkit scripts", () => {
  it("install clones it, builds its venv and its UI (npm install, update_db, build)", async () => {
    const result = await box.run(AITK.install);
    expect(result.exitCode, result.output).toBe(0);
    expect((await box.clones())[0]).toBe("https://github.com/ostris/ai-toolkit.git");
    expect(box.exists("ai-toolkit/run.py")).toBe(true);
    expect(box.exists("ai-toolkit/venv/bin/python")).toBe(true);
    const pip = withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.slice(4));
    expect(pip).toContainEqual(["-r", box.ws("ai-toolkit/requirements.txt")]);
    expect(pip.some((args) => args.includes("torch"))).toBe(true);
    const npm = await box.calls("npm");
    expect(npm.map((call) => call.args.slice(0, 2).join(" "))).toEqual([
      "install --no-audit",
      "run update_db",
      "run build",
    ]);
    expect(new Set(npm.map((call) => call.cwd))).toEqual(new Set([box.ws("ai-toolkit/ui")]));

    // Twice is harmless.
    await box.clearCalls();
    expect((await box.run(AITK.install)).exitCode).toBe(0);
    expect(await box.clones()).toEqual([]);
  });

  it("start runs the UI's start script with the studio's port in place of 8675", async () => {
    expect((await box.run(AITK.install)).exitCode).toBe(0);
    await box.clearCalls();
    const result = await box.run(AITK.start, { PORT: "9675", STUDIO_USER: "Ana Horvat" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "concurrently");
    expect(run?.command).toBe(box.ws("ai-toolkit/ui/node_modules/.bin/concurrently"));
    expect(run?.cwd).toBe(box.ws("ai-toolkit/ui"));
    expect(run?.ppid).toBe(process.pid);
    expect(run?.args).toEqual([
      "--restart-tries",
      "-1",
      "--restart-after",
      "1000",
      "-n",
      "WORKER,UI",
      "node dist/cron/worker.js",
      "next start --port 9675",
    ]);
  });

  it("start also sets the port of the UI's newer start script (the file server in front of Next.js)", async () => {
    expect((await box.run(AITK.install)).exitCode).toBe(0);
    const start =
      'concurrently --restart-tries -1 --restart-after 1000 -n WORKER,UI "node dist/cron/worker.js" "node dist/cron/fileServer.js start --port 8675"';
    await box.write("ai-toolkit/ui/package.json", JSON.stringify({ scripts: { start } }));
    await box.clearCalls();
    const result = await box.run(AITK.start, { PORT: "9675" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "concurrently");
    expect(run?.args.at(-1)).toBe("node dist/cron/fileServer.js start --port 9675");
  });

  it("start refuses a start script it cannot read when the port is not 8675, and uses npm run start on 8675", async () => {
    expect((await box.run(AITK.install)).exitCode).toBe(0);
    await box.write(
      "ai-toolkit/ui/package.json",
      JSON.stringify({ scripts: { start: "node ensure.js && next start --port 8675" } }),
    );
    let result = await box.run(AITK.start, { PORT: "9675" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("cannot set AI-Toolkit's port to 9675");

    await box.clearCalls();
    result = await box.run(AITK.start, { PORT: "8675" });
    expect(result.exitCode, result.output).toBe(0);
    expect((await box.calls("npm")).map((call) => call.args)).toEqual([["run", "start"]]);
  });

  it("reinstall keeps configs, datasets, outputs, models and the UI's database", async () => {
    expect((await box.run(AITK.install)).exitCode).toBe(0);
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

  it("update pulls and rebuilds", async () => {
    expect((await box.run(AITK.install)).exitCode).toBe(0);
    await box.clearCalls();
    const result = await box.run(AITK.update);
    expect(result.exitCode, result.output).toBe(0);
    expect(withPrefix(await box.calls("git"), "-C", box.ws("ai-toolkit"), "pull")).toHaveLength(1);
    expect((await box.calls("npm")).map((call) => call.args[1])).toContain("build");
  });

  it("kill stops the UI and its worker but leaves a training run alone", async () => {
    const ui = box.ws("ai-toolkit/ui");
    await mkdir(ui, { recursive: true });
    const port = await freePort();
    // concurrently, with the UI (listening) and a training run as children.
    const script = [
      `(exec -a "python run.py config/my_lora.yaml" sleep 300) &`,
      `(exec -a "next-server" ${process.execPath} -e 'require("net").createServer().listen(${port}, "127.0.0.1")') &`,
      `exec -a concurrently sleep 301`,
    ].join("\n");
    const tree = spawn("bash", ["-c", script], { cwd: ui, detached: true, stdio: "ignore" });
    let training = 0;
    try {
      await waitFor(() => isListening(port), { what: "the stand-in UI" });
      training = await waitFor(() => findProcess("python run.py"), { what: "the training run" });
      const result = await box.run(AITK.kill, { AI_TOOLKIT_PORT: String(port) });
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

/** The pid of a process whose command line starts with `prefix`, or 0. */
function findProcess(prefix: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.startsWith(prefix) && isAlive(Number(entry))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return 0;
}

// ------------------------------------------------------------------------------------------------
// SwarmUI

const SWARM = toolScripts("swarm-ui", "swarm_ui");

describe("SwarmUI scripts", () => {
  it("install clones it, installs .NET 8 into the workspace and builds it; twice is harmless", async () => {
    const result = await box.run(SWARM.install);
    expect(result.exitCode, result.output).toBe(0);
    expect((await box.clones())[0]).toBe("https://github.com/mcmonkeyprojects/SwarmUI.git");
    expect((await box.calls("curl"))[0]?.args).toContain("https://dot.net/v1/dotnet-install.sh");
    const installer = (await box.calls()).find((call) => call.name === "dotnet-install.sh");
    expect(installer?.args).toEqual(["--channel", "8.0", "--install-dir", box.ws(".dotnet")]);
    const build = withPrefix(await box.calls("dotnet"), "build")[0];
    expect(build?.args).toEqual([
      "build",
      "src/SwarmUI.csproj",
      "--configuration",
      "Release",
      "-o",
      "./src/bin/live_release",
    ]);
    expect(build?.cwd).toBe(box.ws("SwarmUI"));
    expect(box.exists("SwarmUI/src/bin/live_release/SwarmUI.dll")).toBe(true);
    expect(box.exists(".dotnet/dotnet")).toBe(true);

    await box.clearCalls();
    expect((await box.run(SWARM.install)).exitCode).toBe(0);
    expect(await box.clones()).toEqual([]);
    expect(await box.calls("curl")).toEqual([]);
  });

  it("start runs launch-linux.sh on PORT with .NET from the workspace", async () => {
    expect((await box.run(SWARM.install)).exitCode).toBe(0);
    await box.clearCalls();
    const result = await box.run(SWARM.start, { PORT: "7962", FAKE_RECORD_ENV: "DOTNET_ROOT" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "launch-linux.sh");
    expect(run?.cwd).toBe(box.ws("SwarmUI"));
    expect(run?.ppid).toBe(process.pid);
    expect(run?.args).toEqual(["--launch_mode", "none", "--host", "0.0.0.0", "--port", "7962"]);
    expect(run?.env.DOTNET_ROOT).toBe(box.ws(".dotnet"));
  });

  it("start takes the port from SWARMUI_PORT when the studio passes no PORT, and PORT wins over it", async () => {
    expect((await box.run(SWARM.install)).exitCode).toBe(0);
    for (const [extra, port] of [
      [{ SWARMUI_PORT: "7963" }, "7963"],
      [{ SWARMUI_PORT: "7963", PORT: "7964" }, "7964"],
    ] as const) {
      await box.clearCalls();
      const result = await box.run(SWARM.start, extra);
      expect(result.exitCode, result.output).toBe(0);
      const run = (await box.calls()).find((call) => call.name === "launch-linux.sh");
      expect(run?.args.slice(-2)).toEqual(["--port", port]);
    }
  });

  it("reinstall keeps settings, models, outputs, backends and extensions", async () => {
    expect((await box.run(SWARM.install)).exitCode).toBe(0);
    const made = {
      "SwarmUI/Data/Settings.fds": "settings",
      "SwarmUI/Data/Users.ldb": "users",
      "SwarmUI/Models/Stable-Diffusion/sdxl.safetensors": "weights",
      "SwarmUI/Output/local/raw/2025-01-01/image.png": "image",
      "SwarmUI/dlbackend/ComfyUI/main.py": "backend",
      "SwarmUI/src/Extensions/MyExtension/Ext.cs": "extension",
    };
    await box.writeFiles(made);
    const result = await box.run(SWARM.reinstall);
    expect(result.exitCode, result.output).toBe(0);
    await box.expectFiles(made);
    expect(readdirSync(box.workspace).filter((name) => name.startsWith("SwarmUI.old-"))).toHaveLength(1);
  });

  it("update pulls and builds again", async () => {
    expect((await box.run(SWARM.install)).exitCode).toBe(0);
    await box.clearCalls();
    const result = await box.run(SWARM.update);
    expect(result.exitCode, result.output).toBe(0);
    expect(withPrefix(await box.calls("git"), "-C", box.ws("SwarmUI"), "pull")).toHaveLength(1);
    expect(withPrefix(await box.calls("dotnet"), "build")).toHaveLength(1);
  });

  it("kill stops the launcher and what listens on the port", async () => {
    const swarm = box.ws("SwarmUI");
    await mkdir(swarm, { recursive: true });
    const launcher = path.join(swarm, "launch-linux.sh");
    const port = await freePort();
    await writeFile(
      launcher,
      `#!/usr/bin/env bash\n${process.execPath} -e 'require("net").createServer().listen(${port}, "127.0.0.1")'\n`,
    );
    await chmod(launcher, 0o755);
    const tree = spawn("bash", ["./launch-linux.sh"], { cwd: swarm, detached: true, stdio: "ignore" });
    try {
      await waitFor(() => isListening(port), { what: "the stand-in SwarmUI" });
      const server = childOf(tree.pid!);
      const result = await box.run(SWARM.kill, { SWARMUI_PORT: String(port) });
      expect(result.exitCode, result.output).toBe(0);
      await waitFor(() => !isAlive(tree.pid!) && !isAlive(server), { what: "SwarmUI to stop" });
    } finally {
      killGroup(tree.pid);
    }
  });
});
