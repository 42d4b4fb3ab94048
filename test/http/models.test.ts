import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE_REPO, makeDirs, removeDirs, startTestStudio, type TestStudio } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import { generateContent, TestFileServer } from "../models/fileServer.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Agent = ReturnType<TestStudio["agent"]>;
const json = (agent: Agent, url: string, body: unknown) =>
  agent.post(url).set("Content-Type", "application/json").send(JSON.stringify(body));

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** A studio whose repo has one manifest pointing at a loopback file server. */
async function studioWithManifest(env: Record<string, string> = {}) {
  const server = await TestFileServer.start();
  cleanups.push(() => server.close());
  const small = generateContent("small", 300_000);
  const large = generateContent("large", 6_000_000);
  server.add("/a.safetensors", small);
  server.add("/b.safetensors", large);
  const repo = mkdtempSync(path.join(os.tmpdir(), "studio-repo-"));
  cleanups.push(() => rmSync(repo, { recursive: true, force: true }));
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  mkdirSync(path.join(repo, "setup", "download-models"), { recursive: true });
  writeFileSync(
    path.join(repo, "setup", "download-models", "test-set.txt"),
    `# name: Test set\n${server.url("/a.safetensors")}  ComfyUI/models/vae/a.safetensors\n${server.url("/b.safetensors")}  ComfyUI/models/loras/b.safetensors\n`,
  );
  writeFileSync(
    path.join(repo, "setup", "download-models", "broken.txt"),
    `# name: Broken\nnot-a-url ../../etc/passwd\n`,
  );
  const dirs = await makeDirs();
  dirs.env.REPO_DIR = repo;
  const s = await startTestStudio({ dirs, env });
  cleanups.push(async () => {
    await s.close();
    removeDirs(s.dirs);
  });
  return { s, server, small, large };
}

describe("model downloads through the studio", () => {
  it("lists sets, downloads one as a job with progress, and never writes a token anywhere", async () => {
    const { s, large } = await studioWithManifest({ HF_TOKEN: "hf_env_token_XYZ" });
    const agent = s.agent();
    const before = (await agent.get("/models").expect(200)).body.sets;
    expect(before).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "test-set", name: "Test set", installed: 0, total: 2 }),
      ]),
    );
    const debug = (await agent.get("/debug")).body;
    expect(debug.warnings.join(" ")).toMatch(/broken\.txt:2/);

    await json(agent, "/download_models", { models: ["test-set"] }).expect(403);
    await json(agent, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    await json(agent, "/set_admin_mode", { admin_mode: true }).expect(200);
    const unknown = await json(agent, "/download_models", { models: ["nope"] }).expect(400);
    expect(unknown.body.message).toMatch(/Unknown model set "nope"/);
    await json(agent, "/download_models", { models: [] }).expect(400);

    const token = "hf_typed_in_the_page_ABC123";
    const asked = await json(agent, "/download_models", { models: ["test-set"], hf_token: token }).expect(
      202,
    );
    const jobId = asked.body.job_id;
    const done = await waitFor(
      async () => {
        const job = (await agent.get("/jobs")).body.jobs.find((j: { job_id: string }) => j.job_id === jobId);
        return job.status === "succeeded" || job.status === "failed" ? job : null;
      },
      { what: "the download job" },
    );
    expect(done).toMatchObject({
      status: "succeeded",
      kind: "models",
      target: "test-set",
      action: "download",
    });
    const dest = path.join(s.dirs.workspace, "ComfyUI", "models", "loras", "b.safetensors");
    expect(readFileSync(dest).equals(large)).toBe(true);
    const after = (await agent.get("/models")).body.sets.find((set: { id: string }) => set.id === "test-set");
    expect(after).toMatchObject({ installed: 2, total: 2, bytes: 6_300_000 });
    const progress = (await agent.get("/models/progress").expect(200)).body;
    expect(progress).toMatchObject({ job_id: jobId, running: false });
    expect(progress.sets[0]).toMatchObject({
      id: "test-set",
      done_bytes: 6_300_000,
      total_bytes: 6_300_000,
      files_done: 2,
      files_total: 2,
    });
    const log = (await agent.get(`/logs?source=job:${jobId}&cursor=0`)).body.content;
    expect(log).toMatch(/b\.safetensors/);

    const everywhere = [
      ...filesUnder(s.dirs.state).map((file) => readFileSync(file, "utf8")),
      JSON.stringify((await agent.get("/debug")).body),
      JSON.stringify((await agent.get("/jobs")).body),
    ];
    for (const text of everywhere) {
      expect(text).not.toContain(token);
      expect(text).not.toContain("hf_env_token_XYZ");
    }
    expect(statSync(dest).size).toBe(large.length);
  });

  it("cancel keeps the .part so the next run resumes", async () => {
    const { s, server } = await studioWithManifest();
    server.behaviour("/b.safetensors").stall = { afterBytes: 1_000_000, times: 1 };
    const agent = s.agent();
    await json(agent, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    await json(agent, "/set_admin_mode", { admin_mode: true }).expect(200);
    const jobId = (await json(agent, "/download_models", { models: ["test-set"] }).expect(202)).body.job_id;
    const part = path.join(s.dirs.workspace, "ComfyUI", "models", "loras", "b.safetensors.part");
    await waitFor(() => existsSync(part) && statSync(part).size >= 1_000_000, { what: "a partial download" });
    const cancelled = await json(agent, "/cancel_job", { job_id: jobId }).expect(200);
    expect(cancelled.body.job.status).toBe("cancelled");
    expect(existsSync(part)).toBe(true);
    server.releaseStalls();
    const again = (await json(agent, "/download_models", { models: ["test-set"] }).expect(202)).body.job_id;
    await waitFor(
      async () =>
        (await agent.get("/jobs")).body.jobs.find((j: { job_id: string }) => j.job_id === again).status ===
        "succeeded",
      { what: "the second download" },
    );
    const ranges = server.requestsFor("/b.safetensors", "GET").map((r) => r.range);
    expect(ranges.at(-1)).toMatch(/^bytes=\d+-$/);
  });
});
