import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { groupMembers, isAlive as alive } from "../../server/process/proc.js";
import { isListening } from "../helpers/ports.js";
import { post, signIn, useStudios, waitState, type Agent } from "../helpers/http.js";
import { install, standinMode, type TestStudio } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";

const studio = useStudios();
const json = post;
const as = (s: TestStudio, artist: string) => signIn(s, artist);
const status = async (agent: Agent, id = "comfy-ui") =>
  (await agent.get(`/tool_status/${id}`).expect(200)).body;

function standinRecord(s: TestStudio, id = "comfy-ui") {
  const file = path.join(s.dirs.workspace, ".standin", `${id}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
}
/** Alive and not a zombie (an orphan's zombie may wait a while for its reaper). */

describe("starting a tool", () => {
  it("starts ComfyUI for the artist, with the right env, and reaches running", async () => {
    const s = await studio({
      env: { STUDIO_PASSWORD: "pw-1", ADMIN_PASSWORD: "pw-2", HF_TOKEN: "hf_secret" },
    });
    install(s.dirs, "ComfyUI");
    const agent = s.agent();
    await json(agent, "/login", { password: "pw-1" }).expect(200);
    await json(agent, "/set_artist", { artist: "Zoë Šimić" }).expect(200);
    const started = await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    expect(started.body).toMatchObject({
      success: true,
      tool_id: "comfy-ui",
      state: "starting",
      owner: "Zoë Šimić",
      running: true,
    });
    const running = await waitState(agent, "running");
    expect(running).toMatchObject({ port_ready: true, owner: "Zoë Šimić", exit_code: null, signal: null });
    expect(running.url).toBe(`http://127.0.0.1:${s.config.toolPorts["comfy-ui"]}`);
    expect(running.open_url).toMatch(/\/open\/comfy-ui$/);
    expect(typeof running.pid).toBe("number");
    const record = standinRecord(s);
    // The tool listens on a loopback port of its own behind the gateway, never on its public port.
    const internal = Number(record.env.PORT);
    expect(internal).not.toBe(s.config.toolPorts["comfy-ui"]);
    expect(s.studio.manager.get("comfy-ui")!.targetPort).toBe(internal);
    expect(record.env).toMatchObject({
      LISTEN_HOST: "127.0.0.1",
      STUDIO_USER: "Zoë Šimić",
      OUTPUT_DIR: path.join(s.dirs.workspace, "ComfyUI", "output"),
      WORKSPACE_DIR: s.dirs.workspace,
      STOP_GRACE_MS: "1500",
    });
    expect(record.env.STUDIO_RUN_ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.secretsSeen).toEqual([]);
    expect(existsSync(record.env.OUTPUT_DIR)).toBe(true);
    // A second start answers 200 with the same process.
    const again = await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(200);
    expect(again.body.pid).toBe(running.pid);
    const logs = (await agent.get("/logs?source=comfy-ui").expect(200)).body;
    expect(logs.content).toMatch(/stand-in comfy-ui/);
    expect(logs.running).toBe(true);
  });

  it("uses the RunPod proxy URL when RUNPOD_POD_ID is set", async () => {
    const s = await studio({ env: { RUNPOD_POD_ID: "abc123xyz" } });
    const body = await status(s.agent(), "jupyter-lab");
    expect(body.url).toBe(`https://abc123xyz-${s.config.toolPorts["jupyter-lab"]}.proxy.runpod.net`);
  });

  it("refuses without an artist (400), an unknown tool (404), a tool not installed (409)", async () => {
    const s = await studio();
    await json(s.agent(), "/start_session", { tool_id: "comfy-ui" }).expect(400);
    const agent = await as(s, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "nope" }).expect(404);
    await request(s.app).get("/tool_status/nope").expect(404);
    const res = await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(409);
    expect(res.body.message).toMatch(/not installed.*Install/);
    expect((await status(agent)).state).toBe("stopped");
  });

  it("twenty simultaneous starts give exactly one process", async () => {
    const s = await studio();
    standinMode(s.dirs, "jupyter-lab", "slow:300");
    const agent = await as(s, "Rosa Macak Cizmesija");
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => json(agent, "/start_session", { tool_id: "jupyter-lab" })),
    );
    expect(answers.every((answer) => answer.status === 202 || answer.status === 200)).toBe(true);
    const running = await waitState(agent, "running", "jupyter-lab");
    const log = (await agent.get("/logs?source=jupyter-lab")).body.content as string;
    expect(log.match(/stand-in jupyter-lab/g)).toHaveLength(1);
    expect(groupMembers(running.pid)).toHaveLength(1);
  });

  it("never kills a program it did not start: a listener on the public port stays, the tool runs on its own port", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    const port = s.config.toolPorts["comfy-ui"];
    const { spawn } = await import("node:child_process");
    const other = spawn(
      process.execPath,
      ["-e", `require("http").createServer((q,r)=>r.end()).listen(${port})`],
      {
        stdio: "ignore",
        detached: true,
      },
    );
    try {
      await waitFor(() => isListening(port), { what: "the other program's listener" });
      const agent = await as(s, "Rosa Macak Cizmesija");
      await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(202);
      await waitState(agent, "running");
      expect(alive(other.pid!)).toBe(true);
      expect(s.studio.manager.get("comfy-ui")!.targetPort).not.toBe(port);
    } finally {
      process.kill(other.pid!, "SIGKILL");
    }
  });
});

describe("watching and stopping", () => {
  it("a crash is reported with its exit code and the end of its log", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    standinMode(s.dirs, "comfy-ui", "exit:3");
    const agent = await as(s, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    const crashed = await waitState(agent, "crashed");
    expect(crashed).toMatchObject({ exit_code: 3, signal: null, running: false });
    expect(crashed.message).toMatch(/exited with code 3/);
    expect(crashed.log_tail).toMatch(/stand-in comfy-ui gives up/);
  });

  it("a running tool that dies becomes crashed, with the signal", async () => {
    const s = await studio();
    const agent = await as(s, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const running = await waitState(agent, "running", "lora-tool");
    process.kill(running.pid, "SIGKILL");
    const crashed = await waitState(agent, "crashed", "lora-tool");
    expect(crashed).toMatchObject({ exit_code: null, signal: "SIGKILL" });
  });

  it("stop frees the port and leaves no process of the group (children too)", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    standinMode(s.dirs, "comfy-ui", "fork");
    const agent = await as(s, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    const running = await waitState(agent, "running");
    const child = standinRecord(s).child as number;
    expect(alive(child)).toBe(true);
    const stopped = await json(agent, "/stop_session", { tool_id: "comfy-ui" }).expect(200);
    expect(stopped.body).toMatchObject({
      state: "stopped",
      running: false,
      signal: "SIGTERM",
      exit_code: null,
    });
    expect(await isListening(s.config.toolPorts["comfy-ui"])).toBe(false);
    expect(groupMembers(running.pid)).toEqual([]);
    expect(alive(child)).toBe(false);
    // Stopping a stopped tool answers 200 with its status.
    expect((await json(agent, "/stop_session", { tool_id: "comfy-ui" }).expect(200)).body.state).toBe(
      "stopped",
    );
  });

  it("stop also ends a child that left the group (a session of its own)", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    standinMode(s.dirs, "comfy-ui", "escape");
    const agent = await as(s, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    const running = await waitState(agent, "running");
    const child = standinRecord(s).child as number;
    expect(groupMembers(running.pid)).not.toContain(child);
    expect(alive(child)).toBe(true);
    await json(agent, "/stop_session", { tool_id: "comfy-ui" }).expect(200);
    expect(alive(child)).toBe(false);
  });

  it("a tool that ignores SIGTERM is killed after the grace", async () => {
    const s = await studio({ env: { STOP_GRACE_MS: "700" } });
    standinMode(s.dirs, "lora-tool", "ignore-term");
    const agent = await as(s, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const running = await waitState(agent, "running", "lora-tool");
    const before = Date.now();
    const stopped = (await json(agent, "/stop_session", { tool_id: "lora-tool" }).expect(200)).body;
    expect(Date.now() - before).toBeGreaterThanOrEqual(600);
    expect(stopped).toMatchObject({ state: "stopped", signal: "SIGKILL" });
    expect(stopped.message).toMatch(/killed/);
    expect(alive(running.pid)).toBe(false);
    expect((await agent.get("/logs?source=lora-tool")).body.content).toMatch(/SIGTERM ignored/);
  });

  it("only the owner or an admin in admin mode may stop it", async () => {
    const s = await studio();
    const owner = await as(s, "Rosa Macak Cizmesija");
    const other = await as(s, "Zoë Šimić");
    const admin = await as(s, "Razvan Matei");
    await json(owner, "/start_session", { tool_id: "lora-tool" }).expect(202);
    await waitState(owner, "running", "lora-tool");
    const refused = await json(other, "/stop_session", { tool_id: "lora-tool" }).expect(403);
    expect(refused.body.message).toMatch(/in use by Rosa Macak Cizmesija/);
    await json(s.agent(), "/stop_session", { tool_id: "lora-tool" }).expect(403);
    await json(admin, "/stop_session", { tool_id: "lora-tool" }).expect(403);
    const started = await json(other, "/start_session", { tool_id: "lora-tool" }).expect(200);
    expect(started.body.owner).toBe("Rosa Macak Cizmesija");
    await json(admin, "/set_admin_mode", { admin_mode: true }).expect(200);
    const stopped = await json(admin, "/stop_session", { tool_id: "lora-tool" }).expect(200);
    expect(stopped.body.message).toMatch(/Razvan Matei/);
  });
});

describe("a studio restart", () => {
  it("a second studio on the same STATE_DIR takes back a running tool and never starts a second copy", async () => {
    const first = await studio();
    const agent = await as(first, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const running = await waitState(agent, "running", "lora-tool");
    await first.close();

    const second = await studio({ dirs: first.dirs });
    const again = second.agent();
    const taken = await waitState(again, "running", "lora-tool");
    expect(taken).toMatchObject({
      pid: running.pid,
      owner: "Rosa Macak Cizmesija",
      started_at: running.started_at,
    });
    await json(again, "/set_artist", { artist: "Zoë Šimić" }).expect(200);
    expect((await json(again, "/start_session", { tool_id: "lora-tool" }).expect(200)).body.pid).toBe(
      running.pid,
    );
    const log = (await again.get("/logs?source=lora-tool")).body.content as string;
    expect(log.match(/stand-in lora-tool/g)).toHaveLength(1);
    expect(log).toMatch(/took back/);
    // It keeps watching: a death is seen as a crash with no exit code.
    process.kill(running.pid, "SIGKILL");
    const crashed = await waitState(again, "crashed", "lora-tool");
    expect(crashed).toMatchObject({ exit_code: null, signal: null });
  });

  it("a tool whose process is gone is marked stopped", async () => {
    const first = await studio();
    const agent = await as(first, "Rosa Macak Cizmesija");
    await json(agent, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const running = await waitState(agent, "running", "lora-tool");
    await first.close();
    process.kill(-running.pid, "SIGKILL");
    await waitFor(() => !alive(running.pid), { what: "the tool to die" });
    const second = await studio({ dirs: first.dirs });
    const body = await status(second.agent(), "lora-tool");
    expect(body.state).toBe("stopped");
    expect(body.message).toMatch(/had ended/);
  });
});
