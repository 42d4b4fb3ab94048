import { existsSync } from "node:fs";
import path from "node:path";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { isAlive as alive } from "../../server/process/proc.js";
import { hangingJob, post, signIn, useStudios, waitJob, type Agent } from "../helpers/http.js";
import { install, jobMode, type TestStudio } from "../helpers/studio.js";

const studio = useStudios();
const json = post;
const admin = (s: TestStudio) => signIn(s, "Razvan Matei", { adminMode: true });
const job = async (agent: Agent, id: string) =>
  ((await agent.get("/jobs").expect(200)).body.jobs as { job_id: string; status: string }[]).find(
    (j) => j.job_id === id,
  )!;

/** Reads a log to its end by following cursors, as the page does. */
async function readAll(
  agent: Agent,
  source: string,
  cursor?: number,
): Promise<{ text: string; cursor: number }> {
  let text = "";
  let at = cursor;
  for (;;) {
    const url = `/logs?source=${encodeURIComponent(source)}${at === undefined ? "" : `&cursor=${at}`}`;
    const body = (await agent.get(url).expect(200)).body;
    text += body.content;
    if (body.cursor === at) return { text, cursor: at! };
    at = body.cursor;
  }
}

describe("admin jobs", () => {
  it("install runs the script as the admin asked; its output reaches /logs by cursor; 0 is succeeded", async () => {
    const s = await studio({ env: { HF_TOKEN: "hf_never_shown", ADMIN_PASSWORD: "adm" } });
    const agent = s.agent();
    await json(agent, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    await json(agent, "/set_admin_mode", { admin_mode: true, password: "adm" }).expect(200);
    const asked = await json(agent, "/admin_action", { tool_id: "comfy-ui", action: "install" }).expect(202);
    expect(asked.body).toMatchObject({ success: true, job_id: expect.any(String) });
    const done = await waitJob(agent, asked.body.job_id, "succeeded");
    expect(done).toMatchObject({
      kind: "tool",
      target: "comfy-ui",
      action: "install",
      exit_code: 0,
      requested_by: "Razvan Matei",
    });
    for (const field of ["created_at", "started_at", "ended_at"] as const) {
      expect((done as Record<string, string>)[field]).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    }
    const { text, cursor } = await readAll(agent, `job:${asked.body.job_id}`, 0);
    expect(text).toMatch(/job install_comfy for Razvan Matei in .*workspace/);
    expect(text).toMatch(/step 3 of 3/);
    expect(text).toMatch(/secrets seen:\n/);
    const again = (await agent.get(`/logs?source=job:${asked.body.job_id}&cursor=${cursor}`)).body;
    expect(again).toMatchObject({ content: "", cursor, running: false });
    expect((await agent.get(`/logs?source=admin`)).body.job_id).toBe(asked.body.job_id);
    expect(existsSync(path.join(s.dirs.workspace, "ComfyUI", "main.py"))).toBe(true);
    expect((await agent.get("/tool_status/comfy-ui")).body.installed).toBe(true);
  });

  it("a failing script is failed with exit code 1", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    jobMode(s.dirs, "update_comfy", "fail");
    const agent = await admin(s);
    const asked = await json(agent, "/admin_action", { tool_id: "comfy-ui", action: "update" }).expect(202);
    const done = await waitJob(agent, asked.body.job_id, "failed");
    expect(done).toMatchObject({ exit_code: 1 });
    expect((await readAll(agent, `job:${asked.body.job_id}`)).text).toMatch(/something went wrong/);
  });

  it("jobs queue and run one at a time, in order", async () => {
    const s = await studio();
    const agent = await admin(s);
    const { jobId: first } = await hangingJob(agent, s.dirs, { tool_id: "ai-toolkit", action: "install" });
    const second = (
      await json(agent, "/admin_action", { tool_id: "swarm-ui", action: "install" }).expect(202)
    ).body.job_id;
    await waitJob(agent, first, "running");
    expect((await job(agent, second)).status).toBe("queued");
    const list = (await agent.get("/jobs")).body.jobs;
    expect(list[0].job_id).toBe(second);
    expect((await agent.get(`/logs?source=job:${second}`)).body.running).toBe(false);
    await json(agent, "/cancel_job", { job_id: first }).expect(200);
    await waitJob(agent, second, "succeeded");
    const a = await job(agent, first);
    const b = (await agent.get("/jobs")).body.jobs.find((j: { job_id: string }) => j.job_id === second);
    expect(a.status).toBe("cancelled");
    expect(Date.parse(b.started_at)).toBeGreaterThanOrEqual(
      Date.parse((a as unknown as { ended_at: string }).ended_at),
    );
  });

  it("cancel ends the running script and the child it forked", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    const agent = await admin(s);
    const {
      jobId: asked,
      script,
      child,
    } = await hangingJob(agent, s.dirs, {
      tool_id: "comfy-ui",
      action: "reinstall",
    });
    expect(alive(script) && alive(child)).toBe(true);
    const cancelled = await json(agent, "/cancel_job", { job_id: asked }).expect(200);
    expect(cancelled.body.job).toMatchObject({ status: "cancelled", cancelled_by: "Razvan Matei" });
    expect(alive(script)).toBe(false);
    expect(alive(child)).toBe(false);
  });

  it("a queued job can be cancelled before it runs", async () => {
    const s = await studio();
    install(s.dirs, "ai-toolkit");
    const agent = await admin(s);
    const { jobId: first } = await hangingJob(agent, s.dirs, { tool_id: "ai-toolkit", action: "install" });
    const second = (
      await json(agent, "/admin_action", { tool_id: "ai-toolkit", action: "update" }).expect(202)
    ).body.job_id;
    await json(agent, "/cancel_job", { job_id: second }).expect(200);
    expect((await job(agent, second)).status).toBe("cancelled");
    expect((await job(agent, first)).status).toBe("running");
    await json(agent, "/cancel_job", { job_id: "no-such-job" }).expect(404);
  });

  it("who may: 403 without admin mode; 400 unknown action; 404 unknown tool or missing script", async () => {
    const s = await studio();
    const artist = s.agent();
    await json(artist, "/set_artist", { artist: "Rosa Macak Cizmesija" }).expect(200);
    await json(artist, "/admin_action", { tool_id: "comfy-ui", action: "install" }).expect(403);
    const adminNoMode = s.agent();
    await json(adminNoMode, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    const refused = await json(adminNoMode, "/admin_action", {
      tool_id: "comfy-ui",
      action: "install",
    }).expect(403);
    expect(refused.body.message).toMatch(/admin mode/);
    await json(adminNoMode, "/custom_nodes_action", { action: "install" }).expect(403);
    await json(adminNoMode, "/cancel_job", { job_id: "x" }).expect(403);
    const agent = await admin(s);
    await json(agent, "/admin_action", { tool_id: "comfy-ui", action: "rm -rf" }).expect(400);
    await json(agent, "/admin_action", { tool_id: "comfy-ui", action: "start" }).expect(400);
    await json(agent, "/admin_action", { tool_id: "nope", action: "install" }).expect(404);
    const missing = await json(agent, "/admin_action", { tool_id: "swarm-ui", action: "update" }).expect(404);
    expect(missing.body.message).toContain("setup/swarm-ui/update_swarm_ui.sh");
    expect((await agent.get("/jobs")).body.jobs).toEqual([]);
  });

  it("a running tool refuses install, update and reinstall (409)", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    const agent = await admin(s);
    await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    for (const action of ["install", "update", "reinstall"]) {
      const res = await json(agent, "/admin_action", { tool_id: "comfy-ui", action }).expect(409);
      expect(res.body.message).toMatch(/stop it/);
    }
    expect((await agent.get("/jobs")).body.jobs).toEqual([]);
  });

  it("a tool with a job under way cannot be started until the job ends", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    const agent = await admin(s);
    const { jobId } = await hangingJob(agent, s.dirs, { tool_id: "comfy-ui", action: "update" });
    const refused = await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(409);
    expect(refused.body.message).toBe(
      "ComfyUI is being updated (asked by Razvan Matei); start it when that job ends.",
    );
    await json(agent, "/cancel_job", { job_id: jobId }).expect(200);
    await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(202);
  });

  it("custom nodes: list with installed marks, and install as a job", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI/custom_nodes/rgthree-comfy");
    const nodes = (await request(s.app).get("/custom_nodes").expect(200)).body.nodes;
    expect(nodes).toEqual([
      { name: "rgthree-comfy", repo_url: "https://github.com/rgthree/rgthree-comfy", installed: true },
      { name: "ComfyUI-KJNodes", repo_url: "https://github.com/kijai/ComfyUI-KJNodes.git", installed: false },
    ]);
    const agent = await admin(s);
    const asked = await json(agent, "/custom_nodes_action", { action: "install" }).expect(202);
    await waitJob(agent, asked.body.job_id, "succeeded");
    await json(agent, "/custom_nodes_action", { action: "remove" }).expect(400);
  });

  it("clear_logs clears what the page shows, not the log", async () => {
    const s = await studio();
    const agent = await admin(s);
    const asked = (await json(agent, "/admin_action", { tool_id: "comfy-ui", action: "install" }).expect(202))
      .body.job_id;
    await waitJob(agent, asked, "succeeded");
    await json(agent, "/clear_logs", { source: "admin" }).expect(200);
    expect((await agent.get("/logs?source=admin")).body.content).toBe("");
    expect((await agent.get(`/logs?source=job:${asked}&cursor=0`)).body.content).toMatch(/step 1 of 3/);
    await json(agent, "/clear_logs", { source: "job:nope" }).expect(404);
  });

  it("a restart during a job marks it failed, ends its processes and keeps its log", async () => {
    const first = await studio();
    const agent = await admin(first);
    const { jobId: asked, script } = await hangingJob(agent, first.dirs, {
      tool_id: "ai-toolkit",
      action: "install",
    });
    // The studio dies without a word: its in-memory runner is simply dropped.
    await first.close();
    const second = await studio({ dirs: first.dirs });
    const again = second.agent();
    const record = (await again.get("/jobs")).body.jobs.find((j: { job_id: string }) => j.job_id === asked);
    expect(record.status).toBe("failed");
    expect(record.message).toMatch(/studio stopped/);
    expect(alive(script)).toBe(false);
    const log = (await again.get(`/logs?source=job:${asked}&cursor=0`)).body.content;
    expect(log).toMatch(/waiting/);
    expect(log).toMatch(/marked failed/);
  });
});
