/**
 * HTTP helpers for tests: studios that clean up after each test, JSON POSTs, and browsers (agents) that
 * have picked a name.
 *
 * ```ts
 * const studio = useStudios();
 * const s = await studio();
 * const admin = await signIn(s, "Razvan Matei", { adminMode: true });
 * await post(admin, "/admin_action", { tool_id: "comfy-ui", action: "install" }).expect(202);
 * ```
 */
import { afterEach } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { TOOLS } from "../../server/tools/registry.js";
import {
  jobMode,
  removeDirs,
  startTestStudio,
  type TestDirs,
  type TestStudio,
  type TestStudioOptions,
} from "./studio.js";
import { waitFor } from "./wait.js";

export type Agent = ReturnType<TestStudio["agent"]>;

/** A POST with a JSON body, as the page sends it. */
export function post(agent: Agent, url: string, body: unknown) {
  return agent.post(url).set("Content-Type", "application/json").send(JSON.stringify(body));
}

/**
 * Returns a function that starts test studios; after each test every one of them has its jobs cancelled,
 * its tools stopped, and its folders removed.
 */
export function useStudios(): (options?: TestStudioOptions) => Promise<TestStudio> {
  const open: TestStudio[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await discard(s);
  });
  return async (options = {}) => {
    const s = await startTestStudio(options);
    open.push(s);
    s.close = closeOnce(s.close, () => open.splice(open.indexOf(s), 1));
    return s;
  };
}

function closeOnce(close: () => Promise<void>, forget: () => void): () => Promise<void> {
  return async () => {
    forget();
    await close();
  };
}

/** Cancels a studio's jobs, stops its tools, closes it and removes its folders. */
export async function discard(s: TestStudio): Promise<void> {
  for (const job of s.studio.jobs.list()) {
    if (job.status === "running" || job.status === "queued")
      await s.studio.jobs.cancel(job.job_id, "clean-up");
  }
  for (const supervisor of s.studio.manager.all()) await supervisor.stop("clean-up");
  await s.close();
  removeDirs(s.dirs);
}

/** A new browser that has picked `artist` (and switched admin mode on when asked). */
export async function signIn(
  s: TestStudio,
  artist: string,
  options: { adminMode?: boolean; password?: string } = {},
): Promise<Agent> {
  const agent = s.agent();
  await post(agent, "/set_artist", { artist }).expect(200);
  if (options.adminMode) {
    await post(agent, "/set_admin_mode", { admin_mode: true, password: options.password }).expect(200);
  }
  return agent;
}

/** Polls `GET /tool_status/{id}` until the tool is in `state`; returns that status. */
/** `GET /tool_status/{id}` as the agent. */
export async function toolStatus(agent: Agent, id: string): Promise<Record<string, unknown>> {
  return (await agent.get(`/tool_status/${id}`).expect(200)).body as Record<string, unknown>;
}

export function waitState(agent: Agent, state: string, id = "comfy-ui", timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const body = (await agent.get(`/tool_status/${id}`).expect(200)).body;
      return body.state === state ? body : null;
    },
    { timeoutMs, what: `${id} to be ${state}` },
  );
}

/** Polls `GET /jobs` until job `id` has `status`; returns the job. */
export function waitJob(agent: Agent, id: string, status: string | string[]) {
  const wanted = Array.isArray(status) ? status : [status];
  return waitFor(
    async () => {
      const job = (
        (await agent.get("/jobs").expect(200)).body.jobs as { job_id: string; status: string }[]
      ).find((j) => j.job_id === id);
      return job && wanted.includes(job.status) ? job : null;
    },
    { what: `job ${id} to be ${wanted.join(" or ")}` },
  );
}

/**
 * Asks for an admin job whose stand-in script hangs (see standin-job.sh) and waits until the script and the
 * child it forked both run. `agent` must be an admin in admin mode.
 */
export async function hangingJob(
  agent: Agent,
  dirs: TestDirs,
  body: { tool_id: string; action: string },
): Promise<{ jobId: string; script: number; child: number }> {
  const tool = TOOLS.find((entry) => entry.id === body.tool_id);
  if (!tool) throw new Error(`no tool ${body.tool_id}`);
  const stem = `${body.action}_${tool.stem}`;
  jobMode(dirs, stem, "hang");
  const jobId = (await post(agent, "/admin_action", body).expect(202)).body.job_id as string;
  const pidsFile = path.join(dirs.workspace, ".standin", "jobs", `${stem}.pids`);
  const pids = await waitFor(
    () => {
      const text = existsSync(pidsFile) ? readFileSync(pidsFile, "utf8").trim() : "";
      return text.includes(" ") ? text : null;
    },
    { what: `the hanging job ${stem} to run` },
  );
  const [script, child] = pids.split(" ").map(Number) as [number, number];
  return { jobId, script, child };
}
