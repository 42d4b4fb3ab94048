/**
 * Faults, with the real built studio as a child process: killed with SIGKILL mid-start and mid-job, broken
 * state files and session files, the users file deleted or unreadable, a foreign process on a tool's port,
 * broken start scripts, a full disk, and requests Node itself refuses.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isAlive as alive, isSameProcessAlive } from "../../server/process/proc.js";
import { install, makeDirs, removeDirs, standinMode, type TestDirs } from "../helpers/studio.js";
import { isListening } from "../helpers/ports.js";
import { hangingJob, toolStatus } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";
import {
  chownTree,
  copyFixtureRepo,
  ensureBuilt,
  isRoot,
  NOBODY,
  post,
  RAZVAN,
  ROSA,
  spawnStudio,
  ZOE,
  type Agent,
  type SpawnOptions,
  type StudioProcess,
} from "./helpers.js";

const studios: StudioProcess[] = [];
const made: TestDirs[] = [];
const mounts: string[] = [];

async function studio(dirs: TestDirs, options: SpawnOptions = {}): Promise<StudioProcess> {
  const proc = await spawnStudio(dirs, options);
  studios.push(proc);
  return proc;
}
async function dirsFor(): Promise<TestDirs> {
  const dirs = await makeDirs();
  made.push(dirs);
  return dirs;
}

/** Every process that runs for the workspace of `dirs` (the studio, its tools and jobs): killed. */
function killEverythingOf(dirs: TestDirs): void {
  const marker = `WORKSPACE_DIR=${dirs.workspace}\0`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      if (`${environ}\0`.includes(marker)) process.kill(Number(entry), "SIGKILL");
    } catch {
      // gone, or not ours to read
    }
  }
}

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

afterEach(async () => {
  for (const proc of studios.splice(0)) await proc.kill();
  for (const dirs of made) killEverythingOf(dirs);
});

afterAll(() => {
  for (const dir of mounts.splice(0)) spawnSync("umount", ["-l", dir]);
  for (const dirs of made.splice(0)) removeDirs(dirs);
});

async function as(proc: StudioProcess, artist: string): Promise<Agent> {
  const agent = proc.agent();
  await post(agent, "/set_artist", { artist }).expect(200);
  return agent;
}
async function adminMode(proc: StudioProcess): Promise<Agent> {
  const agent = await as(proc, RAZVAN);
  await post(agent, "/set_admin_mode", { admin_mode: true }).expect(200);
  return agent;
}
/** An AI-Toolkit install whose stand-in script hangs, with the pids of the script and its child. */
const hangingInstall = (admin: Agent, dirs: TestDirs) =>
  hangingJob(admin, dirs, { tool_id: "ai-toolkit", action: "install" });

const waitState = (agent: Agent, id: string, state: string, timeoutMs = 15_000) =>
  waitFor(
    async () => {
      const body = await toolStatus(agent, id);
      return body.state === state ? body : null;
    },
    { timeoutMs, what: `${id} to be ${state}` },
  );
const jobs = async (agent: Agent) =>
  (await agent.get("/jobs").expect(200)).body.jobs as {
    job_id: string;
    status: string;
    message: string | null;
  }[];
const waitJob = (agent: Agent, id: string, status: string) =>
  waitFor(async () => (await jobs(agent)).find((job) => job.job_id === id && job.status === status), {
    what: `job ${id} to be ${status}`,
  });

/** Reads a log from `cursor` to its end, as the page does. */
async function readLog(
  agent: Agent,
  source: string,
  cursor: number,
): Promise<{ text: string; cursor: number }> {
  let text = "";
  let at = cursor;
  for (;;) {
    const body = (await agent.get(`/logs?source=${encodeURIComponent(source)}&cursor=${at}`).expect(200))
      .body;
    expect(body.reset ?? false).toBe(false);
    text += body.content;
    if (body.cursor === at) return { text, cursor: at };
    at = body.cursor;
  }
}

const warnings = async (agent: Agent) =>
  ((await agent.get("/debug").expect(200)).body.warnings as string[]).join("\n");
/** The saved record of a tool's first instance in state.json, or undefined. */
const savedTool = (file: string, id: string): { state: string; pid: number | null } | undefined => {
  const tools = (readJson(file) as { tools?: Record<string, { state: string; pid: number | null }[]> } | null)
    ?.tools;
  return tools?.[id]?.[0];
};

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
};
const badCopies = (dir: string, name: string) =>
  readdirSync(dir).filter((entry) => entry.startsWith(`${name}.bad-`));

/** Spawn options to run the studio as an unprivileged user, so file modes mean something (root reads all). */
function unprivileged(dirs: TestDirs): SpawnOptions {
  if (!isRoot) return {};
  chownTree(dirs.root, NOBODY);
  return { uid: NOBODY, gid: NOBODY };
}

describe("the studio killed with SIGKILL", () => {
  it("while a tool starts: the next studio takes it back (same pid), it becomes running, its log is whole", async () => {
    const dirs = await dirsFor();
    standinMode(dirs, "lora-tool", "slow:2500");
    const first = await studio(dirs);
    const rosa = await as(first, ROSA);
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const saved = await waitFor(
      () => {
        const record = savedTool(path.join(dirs.state, "state.json"), "lora-tool");
        return record?.state === "starting" && record.pid ? record : null;
      },
      { what: "state.json to hold the starting tool's pid" },
    );
    const before = await readLog(rosa, "lora-tool", 0);
    await first.kill();
    expect(alive(saved.pid!)).toBe(true);

    const second = await studio(dirs);
    // The same browser (same address, cookie kept): its session survived the kill.
    expect((await rosa.get("/debug").expect(200)).body.session.artist).toBe(ROSA);
    const taken = await toolStatus(rosa, "lora-tool");
    expect(taken.pid).toBe(saved.pid);
    expect(["starting", "running"]).toContain(taken.state);
    const running = await waitState(rosa, "lora-tool", "running");
    expect(running).toMatchObject({ pid: saved.pid, owner: ROSA });
    // No second copy: asking again answers with the same process.
    expect(
      (await post(await as(second, ZOE), "/start_session", { tool_id: "lora-tool" }).expect(200)).body.pid,
    ).toBe(saved.pid);
    const record = JSON.parse(readFileSync(path.join(dirs.workspace, ".standin", "lora-tool.json"), "utf8"));
    expect(record.pid).toBe(saved.pid);
    // The log goes on from the same cursor: nothing lost, nothing twice.
    const after = await readLog(rosa, "lora-tool", before.cursor);
    const whole = await readLog(rosa, "lora-tool", 0);
    expect(whole.text).toBe(before.text + after.text);
    expect(whole.text.match(/stand-in lora-tool/g)).toHaveLength(1);
    expect(after.text).toMatch(/took back/);
    expect(after.text).toMatch(/listening on/);
  });

  it("while a job runs: the job is marked failed and ended, its log reads on by cursor, earlier jobs stay", async () => {
    const dirs = await dirsFor();
    install(dirs, "ComfyUI");
    const first = await studio(dirs);
    const admin = await adminMode(first);
    const earlier = (
      await post(admin, "/admin_action", { tool_id: "comfy-ui", action: "update" }).expect(202)
    ).body.job_id as string;
    await waitJob(admin, earlier, "succeeded");
    const { jobId: hung, script, child } = await hangingInstall(admin, dirs);
    await waitFor(
      () => {
        const saved = readJson(path.join(dirs.state, "jobs.json")) as {
          jobs?: { job_id: string; pid: number | null }[];
        };
        return saved?.jobs?.find((job) => job.job_id === hung)?.pid === script;
      },
      { what: "jobs.json to hold the job's pid" },
    );
    const before = await readLog(admin, `job:${hung}`, 0);
    expect(before.text).toMatch(/waiting/);
    await first.kill();
    expect(alive(script)).toBe(true);

    await studio(dirs);
    const list = await jobs(admin);
    expect(list.map((job) => job.job_id)).toEqual([hung, earlier]);
    expect(list[0]).toMatchObject({ status: "failed" });
    expect(list[0]!.message).toMatch(/studio stopped/);
    expect(list[1]).toMatchObject({ status: "succeeded" });
    await waitFor(() => !alive(script) && !alive(child), { what: "the job's processes to end" });
    const after = await readLog(admin, `job:${hung}`, before.cursor);
    expect(after.text).toMatch(/marked failed/);
    expect(after.text).not.toMatch(/waiting/);
    expect((await readLog(admin, `job:${hung}`, 0)).text).toBe(before.text + after.text);
    expect((await readLog(admin, `job:${earlier}`, 0)).text).toMatch(/step 3 of 3[\s\S]*succeeded/);
  });
  it("before jobs.json heard of the job: its processes are still found by the studio's tag and ended", async () => {
    const dirs = await dirsFor();
    const first = await studio(dirs);
    const admin = await adminMode(first);
    const { jobId: hung, script, child } = await hangingInstall(admin, dirs);
    const file = path.join(dirs.state, "jobs.json");
    type Saved = {
      jobs: { job_id: string; status: string; pid: number | null; start_ticks: number | null }[];
    };
    await waitFor(() => (readJson(file) as Saved | null)?.jobs.some((job) => job.job_id === hung), {
      what: "jobs.json to hold the job",
    });
    await first.kill();
    // As if the studio had died before jobs.json heard of the job at all (it is written in batches).
    const saved = readJson(file) as Saved;
    saved.jobs = saved.jobs.filter((job) => job.job_id !== hung);
    writeFileSync(file, JSON.stringify(saved));
    expect(alive(script)).toBe(true);

    await studio(dirs);
    await waitFor(() => !alive(script) && !alive(child), { what: "the job's processes to end" });
    expect((await jobs(admin)).find((job) => job.job_id === hung)).toBeUndefined();
  });
});

describe("broken state files", () => {
  const STATE_VARIANTS: [string, string][] = [
    ["empty", ""],
    ["cut short", '{"version":1,"tools":{"lora-tool":{"state":"run'],
    ["NUL bytes", "\0".repeat(512)],
    ["a list", "[]"],
    ["tools not an object", '{"version":1,"tools":7}'],
    ["a record of the wrong shape", '{"version":1,"tools":{"lora-tool":{"state":"running","pid":"12"}}}'],
    ["an unknown state", '{"version":1,"tools":{"lora-tool":{"state":"exploded","pid":null}}}'],
  ];

  it.each(STATE_VARIANTS)(
    "state.json %s: a copy is kept, /debug says so, the studio carries on",
    async (_name, content) => {
      const dirs = await dirsFor();
      mkdirSync(dirs.state, { recursive: true });
      writeFileSync(path.join(dirs.state, "state.json"), content);
      const proc = await studio(dirs);
      const agent = await as(proc, ROSA);
      expect(await warnings(agent)).toMatch(/state\.json was unreadable.*a copy was kept/);
      const copies = badCopies(dirs.state, "state.json");
      expect(copies).toHaveLength(1);
      expect(readFileSync(path.join(dirs.state, copies[0]!), "utf8")).toBe(content);
      const tools = (await agent.get("/tools").expect(200)).body.tools as { state: string }[];
      expect(new Set(tools.map((tool) => tool.state))).toEqual(new Set(["stopped"]));
      // It goes on: a tool starts, and state.json is whole again.
      await post(agent, "/start_session", { tool_id: "lora-tool" }).expect(202);
      await waitState(agent, "lora-tool", "running");
      await waitFor(() => savedTool(path.join(dirs.state, "state.json"), "lora-tool")?.state === "running", {
        what: "state.json to be written again",
      });
      await post(agent, "/stop_session", { tool_id: "lora-tool" }).expect(200);
    },
  );

  const JOB_VARIANTS: [string, string][] = [
    ["empty", ""],
    ["garbage", "}{ not json"],
    ["jobs not a list", '{"version":1,"jobs":{}}'],
    [
      "a job id that is a path",
      JSON.stringify({
        version: 1,
        jobs: [
          {
            job_id: "../../../etc/passwd",
            kind: "tool",
            target: "comfy-ui",
            action: "install",
            status: "succeeded",
            requested_by: "x",
            created_at: "2026-01-01T00:00:00Z",
          },
        ],
      }),
    ],
  ];

  it.each(JOB_VARIANTS)(
    "jobs.json %s: a copy is kept, /debug says so, jobs run again",
    async (_name, content) => {
      const dirs = await dirsFor();
      mkdirSync(dirs.state, { recursive: true });
      writeFileSync(path.join(dirs.state, "jobs.json"), content);
      install(dirs, "ComfyUI");
      const proc = await studio(dirs);
      const admin = await adminMode(proc);
      expect(await warnings(admin)).toMatch(/jobs\.json was unreadable.*a copy was kept/);
      const copies = badCopies(dirs.state, "jobs.json");
      expect(copies).toHaveLength(1);
      expect(readFileSync(path.join(dirs.state, copies[0]!), "utf8")).toBe(content);
      expect(await jobs(admin)).toEqual([]);
      await admin.get("/logs?source=job:..%2F..%2F..%2Fetc%2Fpasswd").expect(404);
      const id = (await post(admin, "/admin_action", { tool_id: "comfy-ui", action: "update" }).expect(202))
        .body.job_id as string;
      await waitJob(admin, id, "succeeded");
    },
  );

  it("a session file emptied, corrupted, a link or a FIFO at start: that browser gets a new session, a copy is kept, never a 500", async () => {
    const dirs = await dirsFor();
    const first = await studio(dirs);
    const sessions = path.join(dirs.state, "sessions");
    const secret = path.join(dirs.root, "not-a-session.txt");
    writeFileSync(secret, "the target's own words");
    const variants = [
      "",
      "{",
      "\0\0\0",
      "null",
      "[]",
      "{}",
      '{"cookie":5}',
      '"text"',
      '{"cookie":{"originalMaxAge":1000},"artist":5}',
      { link: secret },
      "fifo",
    ];
    const browsers = [];
    for (const content of variants) {
      const agent = first.agent();
      const res = await post(agent, "/set_artist", { artist: ZOE }).expect(200);
      const cookie = String(res.headers["set-cookie"]);
      const sid = decodeURIComponent(/comfystudio\.sid=([^;]+)/.exec(cookie)![1]!)
        .replace(/^s:/, "")
        .replace(/\.[^.]*$/, "");
      const file = path.join(sessions, `${sid}.json`);
      expect(existsSync(file)).toBe(true);
      browsers.push({ agent, file, sid, content });
    }
    await first.stop();
    // Sessions are held in memory while the studio runs: a file broken on disk shows at the next start.
    for (const { file, content } of browsers) {
      rmSync(file);
      if (typeof content === "object") symlinkSync(content.link, file);
      else if (content === "fifo") spawnSync("mkfifo", [file]);
      else writeFileSync(file, content);
    }
    const proc = await studio(dirs);
    for (const { agent, sid, content } of browsers) {
      const shown = JSON.stringify(content);
      const debug = await agent.get("/debug");
      expect(debug.status, `session file ${shown}: ${debug.text.slice(0, 200)}`).toBe(200);
      expect(debug.body.session.artist).toBeNull();
      expect(debug.text).not.toContain("the target's own words");
      const validShape = typeof content === "string" && content.startsWith('{"cookie":{');
      if (!validShape) {
        expect(debug.body.warnings.join("\n")).toMatch(/session file was unreadable/);
        expect(badCopies(sessions, `${sid}.json`), `a copy of ${shown}`).toHaveLength(1);
      }
      expect((await post(agent, "/set_artist", { artist: ZOE }).expect(200)).body.artist).toBe(ZOE);
      expect((await agent.get("/debug").expect(200)).body.session.artist).toBe(ZOE);
    }
    expect(readFileSync(secret, "utf8")).toBe("the target's own words");
    await proc.agent().get("/healthz").expect(200);
  });
});

describe("the users file", () => {
  it("deleted, turned into a folder, then back: the last good list stays and /debug says why; edits apply again", async () => {
    const dirs = await dirsFor();
    const proc = await studio(dirs);
    const agent = proc.agent();
    const users = async () => (await agent.get("/debug").expect(200)).body.users as string[];
    expect(await users()).toHaveLength(3);

    unlinkSync(dirs.usersFile);
    await waitFor(async () => /users file .* could not be read/.test(await warnings(agent)), {
      timeoutMs: 2_500,
      what: "a warning",
    });
    expect(await users()).toHaveLength(3);
    await post(agent, "/set_artist", { artist: ROSA }).expect(200);

    writeFileSync(
      dirs.usersFile,
      'USERS=( "Rosa Macak Cizmesija" "Razvan Matei:admin" "Zoë Šimić" "Ana Novak" )\n',
    );
    await waitFor(async () => (await users()).includes("Ana Novak"), {
      timeoutMs: 2_500,
      what: "the recreated file to apply",
    });
    expect(await warnings(agent)).not.toMatch(/users file/i);

    unlinkSync(dirs.usersFile);
    mkdirSync(dirs.usersFile);
    await waitFor(async () => /users file .* could not be read/.test(await warnings(agent)), {
      timeoutMs: 2_500,
      what: "a warning",
    });
    expect(await users()).toHaveLength(4);
    await post(agent, "/set_artist", { artist: "ana novak" }).expect(200);

    rmSync(dirs.usersFile, { recursive: true });
    writeFileSync(dirs.usersFile, 'USERS=( "Rosa Macak Cizmesija" "Razvan Matei:admin" )\n');
    await waitFor(async () => (await users()).length === 2, {
      timeoutMs: 2_500,
      what: "the good file to apply",
    });
  });

  it("made unreadable: the last good list stays and /debug says why", async () => {
    const dirs = await dirsFor();
    const proc = await studio(dirs, unprivileged(dirs));
    const agent = proc.agent();
    const users = async () => (await agent.get("/debug").expect(200)).body.users as string[];
    expect(await users()).toHaveLength(3);
    chmodSync(dirs.usersFile, 0o000);
    // A mode change alone may not wake a watcher: an edit (same list) does, and it cannot be read.
    writeFileSync(
      dirs.usersFile,
      readFileSync(dirs.usersFile, "utf8").replace(/\)\s*$/, ' "Extra Person" )\n'),
    );
    await waitFor(async () => /users file .* could not be read/.test(await warnings(agent)), {
      timeoutMs: 2_500,
      what: "a warning",
    });
    expect(await users()).toHaveLength(3);
    await post(agent, "/set_artist", { artist: ZOE }).expect(200);
    chmodSync(dirs.usersFile, 0o644);
    writeFileSync(dirs.usersFile, readFileSync(dirs.usersFile, "utf8"));
    await waitFor(async () => (await users()).includes("Extra Person"), {
      timeoutMs: 2_500,
      what: "the readable file to apply",
    });
  });
});

describe("ports and scripts", () => {
  it("a foreign process on a tool's public port is named in one line, never killed; the gateway takes the port once it is free", async () => {
    const dirs = await dirsFor();
    install(dirs, "ComfyUI");
    const port = Number(dirs.env.COMFYUI_PORT);
    const foreign = spawn(
      process.execPath,
      ["-e", `require("http").createServer((q, s) => s.end("foreign")).listen(${port}, "127.0.0.1")`],
      { stdio: "ignore" },
    );
    const foreignEnded = new Promise((resolve) => foreign.once("exit", resolve));
    try {
      await waitFor(() => isListening(port), { what: "the foreign listener" });
      const proc = await studio(dirs);
      const rosa = await as(proc, ROSA);
      const warning = await waitFor(
        async () =>
          ((await rosa.get("/debug").expect(200)).body.warnings as string[]).find((w) =>
            w.includes(`Port ${port}`),
          ),
        { what: "the warning about the held port" },
      );
      expect(warning).toMatch(new RegExp(`held by another program.*pid ${foreign.pid}`));
      expect(
        proc
          .output()
          .split("\n")
          .filter((line) => line.includes(`Port ${port} of ComfyUI`)),
      ).toHaveLength(1);
      await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(202);
      const running = await waitState(rosa, "comfy-ui", "running");
      expect(running.pid).not.toBe(foreign.pid);
      expect(
        isSameProcessAlive({ pid: foreign.pid!, pgid: foreign.pid!, startTicks: null, bootId: null }),
      ).toBe(true);
      expect(await fetch(`http://127.0.0.1:${port}/`).then((res) => res.text())).toBe("foreign");
      foreign.kill("SIGTERM");
      await foreignEnded;
      // The port is free: the gateway listens there and forwards to ComfyUI.
      const answer = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/system_stats`).catch(() => null);
          return res?.status === 200 ? ((await res.json()) as { tool?: string }) : null;
        },
        { what: "the gateway to take the port" },
      );
      expect(answer).toMatchObject({ tool: "comfy-ui" });
      expect(
        ((await rosa.get("/debug").expect(200)).body.warnings as string[]).some((w) =>
          w.includes(`Port ${port}`),
        ),
      ).toBe(false);
      await post(rosa, "/stop_session", { tool_id: "comfy-ui" }).expect(200);
    } finally {
      foreign.kill("SIGKILL");
    }
  });

  it("start scripts missing, not executable, a folder or unreadable: a clear 409, or it runs with bash", async () => {
    const dirs = await dirsFor();
    const repo = copyFixtureRepo(dirs);
    const setup = path.join(repo, "setup");
    install(dirs, "ComfyUI");
    install(dirs, "ai-toolkit");
    install(dirs, "SwarmUI");
    unlinkSync(path.join(setup, "comfy", "start_comfy.sh"));
    unlinkSync(path.join(setup, "lora-tool", "start_lora_tool.sh"));
    chmodSync(path.join(setup, "swarm-ui", "start_swarm_ui.sh"), 0o644);
    unlinkSync(path.join(setup, "jupyter", "start_jupyter.sh"));
    mkdirSync(path.join(setup, "jupyter", "start_jupyter.sh"));
    chmodSync(path.join(setup, "ai-toolkit", "start_ai_toolkit.sh"), 0o000);
    unlinkSync(path.join(setup, "comfy", "install_comfy.sh"));
    unlinkSync(path.join(setup, "comfy", "update_comfy.sh"));
    mkdirSync(path.join(setup, "comfy", "update_comfy.sh"));
    const proc = await studio(dirs, { ...unprivileged(dirs), env: { REPO_DIR: repo } });
    const rosa = await as(proc, ROSA);

    const missing = await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(409);
    expect(missing.body.message).toMatch(/start script .*start_comfy\.sh is missing/);
    const notInstalled = await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(409);
    expect(notInstalled.body.message).toMatch(/not installed.*start_lora_tool\.sh is missing/);
    const folder = await post(rosa, "/start_session", { tool_id: "jupyter-lab" }).expect(409);
    expect(folder.body.message).toMatch(/start_jupyter\.sh is not a file/);
    const unreadable = await post(rosa, "/start_session", { tool_id: "ai-toolkit" }).expect(409);
    expect(unreadable.body.message).toMatch(/start_ai_toolkit\.sh cannot be read/);
    // Not executable is fine: scripts are run as `bash script`.
    await post(rosa, "/start_session", { tool_id: "swarm-ui" }).expect(202);
    await waitState(rosa, "swarm-ui", "running");
    await post(rosa, "/stop_session", { tool_id: "swarm-ui" }).expect(200);
    for (const id of ["comfy-ui", "lora-tool", "jupyter-lab", "ai-toolkit"])
      expect((await toolStatus(rosa, id)).state).toBe("stopped");

    const admin = await adminMode(proc);
    const noScript = await post(admin, "/admin_action", { tool_id: "comfy-ui", action: "install" }).expect(
      404,
    );
    expect(noScript.body.message).toMatch(/install_comfy\.sh is missing/);
    const folderScript = await post(admin, "/admin_action", { tool_id: "comfy-ui", action: "update" }).expect(
      409,
    );
    expect(folderScript.body.message).toMatch(/update_comfy\.sh is not a file/);
    expect(await jobs(admin)).toEqual([]);
  });
});

describe("a full disk", () => {
  it("while state.json is written: the old file survives whole, the studio keeps answering, and saves again after", async (ctx) => {
    const dirs = await dirsFor();
    const stateFs = path.join(dirs.root, "state-fs");
    mkdirSync(stateFs);
    const mounted = await new Promise<boolean>((resolve) => {
      const child = spawn("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", stateFs], { stdio: "ignore" });
      child.on("error", () => resolve(false));
      child.on("exit", (code) => resolve(code === 0));
    });
    if (!mounted) {
      ctx.skip();
      return;
    }
    mounts.push(stateFs);
    const proc = await studio(dirs, { env: { STATE_DIR: stateFs } });
    const rosa = await as(proc, ROSA);
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    await waitState(rosa, "lora-tool", "running");
    const stateFile = path.join(stateFs, "state.json");
    await waitFor(() => savedTool(stateFile, "lora-tool")?.state === "running", {
      what: "state.json to say running",
    });
    const before = readFileSync(stateFile, "utf8");

    // Fill the disk.
    const filler = path.join(stateFs, "filler");
    const chunk = Buffer.alloc(4096, 120);
    try {
      for (;;) writeFileSync(filler, chunk, { flag: "a" });
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }

    // A change of state cannot be saved: the old state.json stays whole.
    await post(rosa, "/stop_session", { tool_id: "lora-tool" }).expect(200);
    expect((await toolStatus(rosa, "lora-tool")).state).toBe("stopped");
    await waitFor(() => proc.output().includes("could not save state.json"), {
      what: "the studio to say it could not save state.json",
    });
    // Between its tries (one a second) no temp file is left behind.
    await waitFor(() => readdirSync(stateFs).every((name) => !name.endsWith(".tmp")), {
      what: "no temp file next to state.json",
    });
    expect(readFileSync(stateFile, "utf8")).toBe(before);
    await proc.agent().get("/healthz").expect(200);
    await rosa.get("/tools").expect(200);
    await rosa.get("/logs?source=lora-tool").expect(200);
    // A change that must be saved to answer says the disk is full, in JSON.
    const refused = await post(proc.agent(), "/set_artist", { artist: ZOE });
    expect(refused.status).toBe(507);
    expect(refused.body.message).toMatch(/disk .* full/i);

    // Space again: the stop that could not be saved is written without any further change.
    unlinkSync(filler);
    await waitFor(() => savedTool(stateFile, "lora-tool")?.state === "stopped", {
      what: "state.json to say stopped once there is space",
    });
    // And the next change is saved too.
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    await waitState(rosa, "lora-tool", "running");
    await waitFor(() => savedTool(stateFile, "lora-tool")?.state === "running", {
      what: "state.json to be saved again",
    });
    await post(rosa, "/stop_session", { tool_id: "lora-tool" }).expect(200);
    await proc.stop();
  });
});

describe("requests Node refuses", () => {
  it("a huge address and a malformed request get JSON answers", async () => {
    const dirs = await dirsFor();
    const proc = await studio(dirs);
    const huge = await fetch(`${proc.url}/logs?source=${"x".repeat(40_000)}`);
    expect(huge.status).toBe(431);
    expect(await huge.json()).toMatchObject({ success: false, message: expect.any(String) });
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(proc.env.PORT), "127.0.0.1", () =>
        socket.write("NOT HTTP AT ALL\r\n\r\n"),
      );
      let text = "";
      socket.setEncoding("utf8").on("data", (data: string) => (text += data));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4))).toMatchObject({ success: false });
    await proc.agent().get("/healthz").expect(200);
  });
});
