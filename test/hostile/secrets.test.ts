/**
 * Secrets: a studio run with STUDIO_PASSWORD, ADMIN_PASSWORD, HF_TOKEN, CIVITAI_TOKEN and SESSION_SECRET set
 * (distinctive values): log in, admin mode on with its password, start a tool, run jobs. Then none of the
 * values is in any file under STATE_DIR, the studio's output, /debug, /tools, /jobs, the logs, the process
 * list, or the environment of the tool's and jobs' processes.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { install, jobMode, makeDirs, removeDirs, type TestDirs } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import { ensureBuilt, post, RAZVAN, spawnStudio, type Agent, type StudioProcess } from "./helpers.js";

const SECRETS = {
  STUDIO_PASSWORD: "Studio-Pw-7f3c1e9a-Hostile",
  ADMIN_PASSWORD: "Admin-Pw-52b8d0c4-Hostile",
  HF_TOKEN: "hf_TokenValue9d1e5a7bHostile",
  CIVITAI_TOKEN: "civitai-TokenValue3c6f2e8dHostile",
  SESSION_SECRET: "Session-Secret-0a9b8c7d6e5f4a3b2c1d-Hostile",
};
/** Typed into the page for one download: as secret as the others. */
const TYPED_TOKEN = "hf_TypedInThePage4e2a9c1fHostile";

let dirs: TestDirs;
let proc: StudioProcess;
let admin: Agent;
const texts: { where: string; text: string }[] = [];

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}
const procText = (pid: number, what: "environ" | "cmdline") => {
  try {
    return readFileSync(`/proc/${pid}/${what}`, "latin1").replace(/\0/g, "\n");
  } catch {
    return "";
  }
};
const jobs = async () =>
  (await admin.get("/jobs").expect(200)).body.jobs as { job_id: string; status: string }[];

beforeAll(async () => {
  await ensureBuilt();
  dirs = await makeDirs();
  install(dirs, "ComfyUI");
  install(dirs, "ai-toolkit");
  jobMode(dirs, "install_ai_toolkit", "hang");
  proc = await spawnStudio(dirs, { env: SECRETS });
  admin = proc.agent();
  await post(admin, "/login", { password: "not the password" }).expect(401);
  await post(admin, "/login", { password: SECRETS.STUDIO_PASSWORD }).expect(200);
  await post(admin, "/set_artist", { artist: RAZVAN }).expect(200);
  await post(admin, "/set_admin_mode", { admin_mode: true, password: "wrong admin password" }).expect(403);
  await post(admin, "/set_admin_mode", { admin_mode: true, password: SECRETS.ADMIN_PASSWORD }).expect(200);
  // A wrong password that contains the right one must not be echoed either.
  await post(admin, "/login", { password: `${SECRETS.STUDIO_PASSWORD}x` }).expect(401);

  await post(admin, "/start_session", { tool_id: "comfy-ui" }).expect(202);
  const running = await waitFor(
    async () => {
      const body = (await admin.get("/tool_status/comfy-ui").expect(200)).body;
      return body.state === "running" ? body : null;
    },
    { what: "ComfyUI to run" },
  );
  const done = (await post(admin, "/admin_action", { tool_id: "ai-toolkit", action: "update" }).expect(202))
    .body.job_id as string;
  await waitFor(async () => (await jobs()).find((job) => job.job_id === done)?.status === "succeeded", {
    what: "the update job",
  });
  await post(admin, "/download_models", {
    models: ["no-such-set"],
    hf_token: TYPED_TOKEN,
    civit_token: TYPED_TOKEN,
  }).expect(400);
  const hung = (await post(admin, "/admin_action", { tool_id: "ai-toolkit", action: "install" }).expect(202))
    .body.job_id as string;
  const pidsFile = path.join(dirs.workspace, ".standin", "jobs", "install_ai_toolkit.pids");
  await waitFor(() => existsSync(pidsFile) && readFileSync(pidsFile, "utf8").trim().includes(" "), {
    what: "the job's pids",
    timeoutMs: 30_000,
  });
  const jobPids = readFileSync(pidsFile, "utf8").trim().split(" ").map(Number);

  // While they run: the tool's and the job's processes, and the whole process list.
  for (const pid of [running.pid as number, ...jobPids]) {
    texts.push({ where: `/proc/${pid}/environ`, text: procText(pid, "environ") });
    texts.push({ where: `/proc/${pid}/cmdline`, text: procText(pid, "cmdline") });
  }
  expect(
    texts.filter((t) => t.where.endsWith("environ")).every((t) => t.text.includes("WORKSPACE_DIR=")),
  ).toBe(true);
  texts.push({ where: "ps -eo args", text: execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }) });
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    texts.push({ where: `/proc/${entry}/cmdline`, text: procText(Number(entry), "cmdline") });
  }
  for (const url of [
    "/debug",
    "/tools",
    "/jobs",
    "/",
    "/logs?source=comfy-ui&cursor=0",
    `/logs?source=job:${done}&cursor=0`,
    `/logs?source=job:${hung}&cursor=0`,
    "/custom_nodes",
    "/models",
  ]) {
    const res = await admin.get(url).expect(200);
    texts.push({ where: `GET ${url}`, text: res.text });
  }

  const collectFiles = (when: string) => {
    for (const file of [...filesUnder(dirs.state), ...filesUnder(path.join(dirs.workspace, ".standin"))]) {
      texts.push({ where: `${file} (${when})`, text: readFileSync(file, "latin1") });
    }
  };
  collectFiles("while running");

  await post(admin, "/cancel_job", { job_id: hung }).expect(200);
  await post(admin, "/stop_session", { tool_id: "comfy-ui" }).expect(200);
  await post(admin, "/logout", {}).expect(200);
  await proc.stop();

  texts.push({ where: "the studio's stdout and stderr", text: proc.output() });
  collectFiles("after the studio stopped");
}, 120_000);

afterAll(async () => {
  await proc?.kill();
  if (dirs) removeDirs(dirs);
});

describe("no secret anywhere", () => {
  it("was looked for in enough places", () => {
    const where = texts.map((t) => t.where);
    expect(where.some((w) => w.includes(`${path.sep}sessions${path.sep}`))).toBe(true);
    expect(where.some((w) => w.includes(`${path.sep}logs${path.sep}`))).toBe(true);
    expect(where.some((w) => w.includes(`state.json (`))).toBe(true);
    expect(where.some((w) => w.includes(`jobs.json (`))).toBe(true);
    expect(texts.find((t) => t.where === "the studio's stdout and stderr")!.text).toMatch(
      /the studio is ready/,
    );
    expect(statSync(dirs.state).isDirectory()).toBe(true);
  });

  it.each(Object.entries({ ...SECRETS, TYPED_TOKEN }))("%s appears nowhere", (_name, value) => {
    const found = texts.filter((t) => t.text.includes(value)).map((t) => t.where);
    expect(found).toEqual([]);
  });

  it("the tool and the job saw no secret variable", () => {
    const record = JSON.parse(readFileSync(path.join(dirs.workspace, ".standin", "comfy-ui.json"), "utf8"));
    expect(record.secretsSeen).toEqual([]);
    const jobLogs = texts
      .filter((t) => t.where.includes(`${path.sep}logs${path.sep}jobs${path.sep}`))
      .map((t) => t.text)
      .join("\n");
    expect(jobLogs).toMatch(/secrets seen:\n/);
  });
});
