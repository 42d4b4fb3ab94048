/**
 * The JupyterLab scripts (setup/jupyter), against stand-in commands, and for real with Debian's Jupyter
 * Server behind a stand-in JupyterLab environment when the machine has it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { endChild, isAlive, startListening } from "./processes.js";
import {
  FIXTURE_BIN,
  expectExeced,
  lastLine,
  preflightHosts,
  toolScripts,
  withPrefix,
  type Sandbox,
  eachSandbox,
} from "./sandbox.js";

const JUPYTER = toolScripts("jupyter", "jupyter");

let box: Sandbox;
eachSandbox((made) => (box = made));

/** A JupyterLab environment at `dir` whose bin/jupyter-lab is `target` (a stand-in, or a real server). */
async function labAt(dir: string, target: string): Promise<string> {
  await mkdir(path.join(dir, "bin"), { recursive: true });
  const lab = path.join(dir, "bin/jupyter-lab");
  await symlink(target, lab);
  return lab;
}

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
    expect((await preflightHosts(box)).sort()).toEqual(["files.pythonhosted.org", "pypi.org"]);

    result = await box.run(JUPYTER.update);
    expect(result.exitCode, result.output).toBe(0);
    expect(withPrefix(await box.calls("uv"), "pip", "install").at(-1)?.args).toContain("--upgrade");

    await box.write("notebooks/analysis.ipynb", "{}");
    result = await box.run(JUPYTER.reinstall);
    expect(result.exitCode, result.output).toBe(0);
    expect(existsSync(path.join(venv, "bin/jupyter-lab"))).toBe(true);
    expect(await box.read("notebooks/analysis.ipynb")).toBe("{}");
  });

  it("install fails within seconds offline, naming PyPI, instead of retrying pip for minutes", async () => {
    const result = await box.run(JUPYTER.install, { FAKE_FAIL: "curl:pypi.org;curl:files.pythonhosted.org" });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toMatch(
      /^\[jupyter-install\] error: cannot reach pypi\.org \(.*files\.pythonhosted\.org/,
    );
    expect(await box.calls("uv")).toEqual([]);
  });

  it("start runs the volume's JupyterLab on 127.0.0.1:PORT behind the gateway, settings on the volume", async () => {
    expect((await box.run(JUPYTER.install)).exitCode).toBe(0);
    await box.clearCalls();
    const result = await box.run(JUPYTER.start, { PORT: "8899", FAKE_RECORD_ENV: "JUPYTER_CONFIG_DIR" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "jupyter-lab");
    expectExeced(run, { command: box.ws(".venvs/jupyterlab/bin/jupyter-lab"), cwd: box.workspace });
    expect(run?.args).toEqual([
      "--ip=127.0.0.1",
      "--port=8899",
      "--no-browser",
      "--allow-root",
      `--ServerApp.root_dir=${box.workspace}`,
      "--ServerApp.allow_remote_access=True",
      "--ServerApp.allow_origin=*",
      "--ServerApp.trust_xheaders=True",
      "--IdentityProvider.token=",
      "--ServerApp.token=",
      "--ServerApp.password=",
    ]);
    expect(run?.env.JUPYTER_CONFIG_DIR).toBe(box.ws(".jupyter"));
    expect(box.exists(".comfystudio/run/jupyter-lab.8899.pid")).toBe(true);
  });

  it("start runs the image's JupyterLab while the volume has none", async () => {
    const imageLab = await labAt(
      path.join(box.root, "image-jupyterlab"),
      path.join(FIXTURE_BIN, "fake-recorder"),
    );
    const result = await box.run(JUPYTER.start, { PORT: "8899", LISTEN_HOST: "0.0.0.0" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "jupyter-lab");
    expectExeced(run, { command: imageLab, cwd: box.workspace });
    expect(run?.args[0]).toBe("--ip=0.0.0.0");
  });

  it("start never falls back to a bare Jupyter Server, and says where it looked", async () => {
    const result = await box.run(JUPYTER.start, {
      PORT: "8899",
      FAKE_PY_MODULES: "jupyter_server,jupyterlab",
    });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toBe(
      `[jupyter] error: JupyterLab is not installed: there is no ${box.ws(".venvs/jupyterlab/bin/jupyter-lab")} and no ${path.join(box.root, "image-jupyterlab/bin/jupyter-lab")}. Ask an admin to run Install for JupyterLab.`,
    );
    expect((await box.calls()).filter((call) => call.args.includes("--port=8899"))).toEqual([]);
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
});

/** Whether /usr/bin/python3 has a Jupyter Server (Debian's python3-jupyter-server). */
const hasJupyterServer =
  existsSync("/usr/bin/python3") &&
  spawnSync("/usr/bin/python3", ["-c", "import jupyter_server"], { stdio: "ignore" }).status === 0;

/** GET `path` on 127.0.0.1:`port` with the given Host header (fetch cannot set one). */
function getWithHost(port: number, urlPath: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: urlPath, headers: { Host: host } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

describe.skipIf(!hasJupyterServer)("JupyterLab scripts with a real Jupyter Server", () => {
  /** A JupyterLab environment on the volume whose jupyter-lab runs Debian's Jupyter Server. */
  async function realLab(): Promise<void> {
    const script = path.join(box.root, "jupyter-lab");
    await writeFile(script, '#!/bin/sh\nexec /usr/bin/python3 -m jupyter_server "$@"\n');
    await chmod(script, 0o755);
    await labAt(box.ws(".venvs/jupyterlab"), script);
  }

  /** Starts JupyterLab through its start script, as the studio does, and waits until /api answers. */
  async function startLab(extra: Record<string, string> = {}) {
    await realLab();
    const port = await freePort();
    const { child } = await startListening(box, JUPYTER.start, port, { PATH: "/usr/bin:/bin", ...extra });
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/api`).catch(() => null))?.status === 200,
        {
          timeoutMs: 20_000,
          what: "Jupyter to answer /api",
        },
      );
    } catch (error) {
      await endChild(child);
      throw error;
    }
    return { child, port };
  }

  it("answers /api without a token, and through a Host header that names another host; kill stops it", async () => {
    const { child, port } = await startLab();
    try {
      expect((await fetch(`http://127.0.0.1:${port}/api/contents`)).status).toBe(200);
      // The gateway keeps the browser's Host header.
      expect(await getWithHost(port, "/api/contents", "pod-8888.proxy.runpod.net")).toBe(200);
      const result = await box.run(JUPYTER.kill);
      expect(result.exitCode, result.output).toBe(0);
      await waitFor(() => !isAlive(child.pid!), { what: "Jupyter to stop" });
      expect(await isListening(port)).toBe(false);
    } finally {
      await endChild(child);
    }
  });

  it("asks for the token from JUPYTER_TOKEN, which is not in its process arguments", async () => {
    const secret = "tok-" + Math.random().toString(36).slice(2);
    const { child, port } = await startLab({ JUPYTER_TOKEN: secret });
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
      await box.run(JUPYTER.kill);
      await endChild(child);
    }
  });
});
