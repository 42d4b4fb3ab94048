/**
 * JupyterLab as a real tool: Debian's Jupyter Server, behind a stand-in JupyterLab environment on the volume,
 * started through the real start script; readiness on its real `/api`, its own token when the studio has a
 * password, and a stop that also ends the kernels it started (they run in sessions of their own, outside the
 * tool's process group).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { findRepoRoot } from "../../server/config.js";
import { findTool } from "../../server/tools/registry.js";
import { tokenHeaders } from "../../server/tools/token.js";
import { isAlive as alive } from "../../server/process/proc.js";
import { post, useStudios, waitState } from "../helpers/http.js";
import { isListening } from "../helpers/ports.js";
import { FIXTURE_REPO, makeDirs } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";

const ROOT = findRepoRoot();
const hasJupyter =
  spawnSync("/usr/bin/python3", ["-c", "import jupyter_server, ipykernel"], { stdio: "ignore" }).status === 0;

/** Processes whose command line mentions `text`. */
function processesWith(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe.skipIf(!hasJupyter)("JupyterLab with a real Jupyter Server", () => {
  const studio = useStudios();

  it(
    "starts on a loopback port of its own, answers /api there (the gateway guards it), and a stop ends its kernels too",
    { timeout: 90_000 },
    async () => {
      const dirs = await makeDirs();
      const repo = path.join(dirs.root, "repo");
      cpSync(FIXTURE_REPO, repo, { recursive: true });
      for (const file of ["setup/jupyter/start_jupyter.sh", "setup/lib"]) {
        cpSync(path.join(ROOT, file), path.join(repo, file), { recursive: true });
      }
      dirs.env.REPO_DIR = repo;
      // JupyterLab on the volume, as Install leaves it: its jupyter-lab runs Debian's Jupyter Server (a real
      // server with real kernels). The image's JupyterLab is not this machine's.
      const lab = path.join(dirs.workspace, ".venvs/jupyterlab/bin/jupyter-lab");
      mkdirSync(path.dirname(lab), { recursive: true });
      writeFileSync(lab, '#!/bin/sh\nexec /usr/bin/python3 -m jupyter_server "$@"\n', { mode: 0o755 });
      dirs.env.JUPYTER_IMAGE_VENV = path.join(dirs.root, "no-image-jupyterlab");
      // Tools get the studio's environment: Debian's python3 (with Jupyter Server) must come first on PATH.
      const path0 = process.env.PATH;
      process.env.PATH = `/usr/bin:/bin:${path0 ?? ""}`;
      onTestFinished(() => {
        process.env.PATH = path0;
      });
      const s = await studio({ dirs, env: { STUDIO_PASSWORD: "jupyter-test-pw" } });
      const agent = s.agent();
      await post(agent, "/login", { password: "jupyter-test-pw" }).expect(200);
      await post(agent, "/set_artist", { artist: "Rosa Macak Cizmesija" }).expect(200);
      await post(agent, "/start_session", { tool_id: "jupyter-lab" }).expect(202);
      const running = await waitState(agent, "running", "jupyter-lab", 60_000);
      const port = s.studio.manager.get("jupyter-lab")!.targetPort!;
      expect(port).not.toBe(s.config.toolPorts["jupyter-lab"]);
      const api = `http://127.0.0.1:${port}/api`;
      // Its own token, which the gateway puts on every request it forwards: without it nothing changes.
      expect((await fetch(`${api}/kernels`, { method: "POST", body: "{}" })).status).toBe(403);
      const tool = findTool("jupyter-lab")!;
      const headers = { Host: "pod-8888.proxy.runpod.net", ...tokenHeaders(tool, s.studio.sessionSecret) };
      expect(((await (await fetch(api, { headers })).json()) as { version: string }).version).toMatch(/^\d/);
      const kernel = (await (
        await fetch(`${api}/kernels`, { method: "POST", headers, body: "{}" })
      ).json()) as {
        id: string;
      };
      const kernelPids = await waitFor(
        () => {
          const pids = processesWith(`kernel-${kernel.id}`);
          return pids.length > 0 ? pids : null;
        },
        { what: "the kernel process" },
      );
      // The studio's password never shows in a process's arguments.
      expect(processesWith("jupyter-test-pw")).toEqual([]);

      await post(agent, "/stop_session", { tool_id: "jupyter-lab" }).expect(200);
      expect(await isListening(port)).toBe(false);
      expect(alive(running.pid)).toBe(false);
      for (const pid of kernelPids) expect(alive(pid)).toBe(false);
    },
  );
});
