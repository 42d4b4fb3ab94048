import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findRepoRoot } from "../../server/config.js";
import { post, signIn, useStudios, waitState } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";

const studio = useStudios();
const BIN = path.join(findRepoRoot(), "test", "fixtures", "bin-extra");
let scratch: string;
let record: string;
const saved = {
  PATH: process.env.PATH,
  RUNPODCTL_RECORD: process.env.RUNPODCTL_RECORD,
  RUNPODCTL_EXIT: process.env.RUNPODCTL_EXIT,
};

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "pod-idle-"));
  record = path.join(scratch, "runpodctl.calls");
  process.env.PATH = `${BIN}:${saved.PATH ?? ""}`;
  process.env.RUNPODCTL_RECORD = record;
  delete process.env.RUNPODCTL_EXIT;
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(scratch, { recursive: true, force: true });
});

const calls = () => (existsSync(record) ? readFileSync(record, "utf8").trim().split("\n") : []);

describe("the pod's idle stop", () => {
  it("runs `runpodctl stop pod` once nothing runs and nobody has used the pod for the set time", async () => {
    const s = await studio({ env: { IDLE_STOP_POD_MINUTES: "0.01", RUNPOD_POD_ID: "pod-abc" } });
    const pod = (await s.agent().get("/pod").expect(200)).body;
    expect(pod).toMatchObject({ success: true, stop_enabled: true });
    expect(Date.parse(pod.stop_at) - Date.parse(pod.idle_since)).toBe(600);
    await waitFor(() => calls().length > 0, { what: "runpodctl to be called" });
    expect(calls()).toEqual(["stop pod pod-abc"]);
  });

  it("waits while a tool runs, and keep_alive counts", async () => {
    const s = await studio({ env: { IDLE_STOP_POD_MINUTES: "0.02", RUNPOD_POD_ID: "pod-abc" } });
    const rosa = await signIn(s, "Rosa Macak Cizmesija");
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    await waitState(rosa, "running", "lora-tool");
    expect((await rosa.get("/pod").expect(200)).body).toMatchObject({ idle_since: null, stop_at: null });
    await s.studio.pod.check();
    expect(calls()).toEqual([]);
    await post(rosa, "/stop_session", { tool_id: "lora-tool" }).expect(200);
    const idle = (await rosa.get("/pod").expect(200)).body;
    const kept = (await post(rosa, "/keep_alive", {}).expect(200)).body;
    expect(Date.parse(kept.stop_at)).toBeGreaterThanOrEqual(Date.parse(idle.stop_at));
  });

  it("a failing runpodctl is reported on /pod and /debug, and not tried again in a loop", async () => {
    process.env.RUNPODCTL_EXIT = "3";
    const s = await studio({ env: { IDLE_STOP_POD_MINUTES: "0.005", RUNPOD_POD_ID: "pod-abc" } });
    const agent = s.agent();
    const pod = await waitFor(async () => {
      const body = (await agent.get("/pod").expect(200)).body;
      return body.error ? body : null;
    });
    expect(pod.error).toMatch(/runpodctl exited with code 3: Error: pod not found/);
    expect((await agent.get("/debug").expect(200)).body.warnings.join("\n")).toMatch(/could not be stopped/);
    for (let i = 0; i < 5; i++) await s.studio.pod.check();
    expect(calls()).toHaveLength(1);
  });

  it("is off without RUNPOD_POD_ID, and says so", async () => {
    const s = await studio({ env: { IDLE_STOP_POD_MINUTES: "0.005" } });
    expect((await s.agent().get("/pod").expect(200)).body).toMatchObject({
      stop_enabled: false,
      stop_at: null,
    });
    expect((await s.agent().get("/debug").expect(200)).body.warnings.join("\n")).toMatch(
      /RUNPOD_POD_ID is not/,
    );
  });
});
