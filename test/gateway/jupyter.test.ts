/**
 * JupyterLab for real behind the gateway: Debian's Jupyter Server, started by the studio through the repo's
 * own start script (the workspace's JupyterLab venv is a stand-in that runs it), driven through the tool
 * port with the artist's cookie: its REST API, and a real kernel over its WebSocket channels (`1+1` is `2`).
 * A stop ends the kernels too.
 */
import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { findRepoRoot } from "../../server/config.js";
import { post } from "../helpers/http.js";
import { alive, processesWith } from "../helpers/processes.js";
import { FIXTURE_REPO, makeDirs, type TestDirs } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import {
  enter,
  openSocket,
  ROSA,
  runTool,
  signInAs,
  toolOrigin,
  useGatewayStudios,
  wsOrigin,
} from "./helpers.js";

const ROOT = findRepoRoot();
const PYTHON = "/usr/bin/python3";
const hasJupyter =
  spawnSync(PYTHON, ["-c", "import jupyter_server, ipykernel"], { stdio: "ignore" }).status === 0;
const title = hasJupyter
  ? "JupyterLab with a real Jupyter Server behind the gateway"
  : "JupyterLab behind the gateway (skipped: python3-jupyter-server and python3-ipykernel are not installed)";

const studio = useGatewayStudios();
const PASSWORD = "studio-pw-jupyter";

/** A copy of the fixture repo with the real JupyterLab start script, and a workspace venv that runs Jupyter Server. */
async function jupyterDirs(): Promise<TestDirs> {
  const dirs = await makeDirs();
  const repo = path.join(dirs.root, "repo");
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  for (const file of ["setup/jupyter/start_jupyter.sh", "setup/lib"])
    cpSync(path.join(ROOT, file), path.join(repo, file), { recursive: true });
  dirs.env.REPO_DIR = repo;
  // The image's JupyterLab is not this machine's: only the volume's (below) counts.
  dirs.env.JUPYTER_IMAGE_VENV = path.join(dirs.root, "no-image-jupyterlab");
  writeFileSync(
    path.join(dirs.workspace, ".venvs", "jupyterlab", "bin", "jupyter-lab"),
    `#!/bin/sh\nexec ${PYTHON} -m jupyter_server "$@"\n`,
    { mode: 0o755 },
  );
  return dirs;
}

/** Tools get the studio's environment: Debian's python3 (with Jupyter Server) comes first on PATH for this test. */
function debianPythonFirst(): void {
  const path0 = process.env.PATH;
  process.env.PATH = `/usr/bin:/bin:${path0 ?? ""}`;
  onTestFinished(() => {
    process.env.PATH = path0;
  });
}

/** The local addresses (hex, as /proc/net/tcp writes them) listening on `port`. */
function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [address, hexPort] = (local ?? "").split(":");
      if (state === "0A" && hexPort && parseInt(hexPort, 16) === port) found.push(address!);
    }
  }
  return found;
}

/** One Jupyter message on the shell channel. */
function executeRequest(session: string, code: string) {
  const msgId = randomUUID();
  return {
    msgId,
    text: JSON.stringify({
      header: {
        msg_id: msgId,
        msg_type: "execute_request",
        username: "test",
        session,
        date: new Date().toISOString(),
        version: "5.3",
      },
      parent_header: {},
      metadata: {},
      content: {
        code,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      },
      buffers: [],
      channel: "shell",
    }),
  };
}

interface JupyterMessage {
  channel: string;
  msg_type: string;
  parent_header: { msg_id?: string };
  content: { data?: Record<string, string>; execution_count?: number };
}

describe.skipIf(!hasJupyter)(title, () => {
  it(
    "REST and a real kernel through the tool port; a stop ends the kernel too",
    { timeout: 90_000 },
    async () => {
      debianPythonFirst();
      const s = await studio({ dirs: await jupyterDirs(), env: { STUDIO_PASSWORD: PASSWORD } });
      const rosa = await signInAs(s, ROSA, PASSWORD);
      const running = await runTool(rosa, "jupyter-lab");
      const { cookie, location } = await enter(rosa, "jupyter-lab");
      expect(location).toBe("/lab");
      const origin = toolOrigin(s, "jupyter-lab");

      const api = (await (await fetch(`${origin}/api`, { headers: { cookie } })).json()) as {
        version: string;
      };
      expect(api.version).toMatch(/^\d+\.\d+/);
      const key = (await rosa.get("/api_key").expect(200)).body.key as string;
      expect((await fetch(`${origin}/k/${key}/api`)).status).toBe(200);
      expect((await fetch(`${origin}/api`)).status).toBe(401);

      // Jupyter's own XSRF cookie comes with any page, as a browser gets it; it passes the gateway both ways.
      const page = await fetch(`${origin}/lab`, { headers: { cookie, Accept: "text/html" } });
      const xsrf = /_xsrf=([^;]+)/.exec(page.headers.get("set-cookie") ?? "")?.[1];
      expect(xsrf).toBeTruthy();
      const jar = `${cookie}; _xsrf=${xsrf}`;
      const made = await fetch(`${origin}/api/kernels`, {
        method: "POST",
        headers: { cookie: jar, "X-XSRFToken": xsrf!, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "python3" }),
      });
      expect(made.status).toBe(201);
      const kernel = (await made.json()) as { id: string; name: string };
      const listed = (await (await fetch(`${origin}/api/kernels`, { headers: { cookie } })).json()) as {
        id: string;
      }[];
      expect(listed.map((k) => k.id)).toContain(kernel.id);

      const session = randomUUID();
      const socket = await openSocket(
        `${wsOrigin(s, "jupyter-lab")}/api/kernels/${kernel.id}/channels?session_id=${session}`,
        {
          headers: { cookie: jar },
        },
      );
      const request = executeRequest(session, "1+1");
      socket.ws.send(request.text);
      const result = await waitFor(
        () =>
          socket.messages
            .map((text) => JSON.parse(text) as JupyterMessage)
            .find((m) => m.msg_type === "execute_result" && m.parent_header.msg_id === request.msgId),
        { timeoutMs: 30_000, what: "the kernel's execute_result" },
      );
      expect(result.channel).toBe("iopub");
      expect(result.content.data?.["text/plain"]).toBe("2");
      const kernelPids = processesWith(`kernel-${kernel.id}`);
      expect(kernelPids.length).toBeGreaterThan(0);
      socket.ws.close();

      await post(rosa, "/stop_session", { tool_id: "jupyter-lab" }).expect(200);
      expect(alive(running.pid as number)).toBe(false);
      for (const pid of kernelPids) expect(alive(pid)).toBe(false);
      expect((await fetch(`${origin}/api`, { headers: { cookie } })).status).toBe(503);
    },
  );

  // Listening on LISTEN_HOST alone needs --ServerApp.allow_remote_access=True too: the gateway keeps the
  // browser's Host, which Jupyter on loopback would otherwise refuse (the REST test above goes through it).
  it("listens on LISTEN_HOST only, never around the gateway", { timeout: 90_000 }, async () => {
    debianPythonFirst();
    const s = await studio({ dirs: await jupyterDirs() });
    const rosa = await signInAs(s, ROSA);
    await runTool(rosa, "jupyter-lab");
    const internal = s.studio.manager.get("jupyter-lab")!.targetPort!;
    try {
      expect(listenAddresses(internal)).toEqual(["0100007F"]);
    } finally {
      await post(rosa, "/stop_session", { tool_id: "jupyter-lab" }).expect(200);
    }
  });
});
