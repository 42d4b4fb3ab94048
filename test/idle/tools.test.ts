import { readFileSync } from "node:fs";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ToolIdle, warnBeforeMs } from "../../server/idle/tools.js";
import { post, signIn, useStudios, waitState } from "../helpers/http.js";
import { install } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";

const studio = useStudios();
const ROSA = "Rosa Macak Cizmesija";

describe("idle tools", () => {
  it("a tool nobody uses is stopped after IDLE_STOP_MINUTES, saying why in its status and its log", async () => {
    const s = await studio({ env: { IDLE_STOP_MINUTES: "0.02" } });
    const rosa = await signIn(s, ROSA);
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const running = await waitState(rosa, "running", "lora-tool");
    expect(Date.parse(running.idle_stop_at)).toBeGreaterThan(Date.now());
    const stopped = await waitState(rosa, "stopped", "lora-tool");
    expect(stopped.message).toMatch(/without activity \(IDLE_STOP_MINUTES\)/);
    expect(stopped.idle_stop_at).toBeNull();
    const log = (await rosa.get("/logs?source=lora-tool").expect(200)).body.content as string;
    expect(log).toMatch(/stopping LoRA-Tool \(Stopped after 0\.02 minutes without activity/);
  });

  it("keep_alive counts as activity and moves the stop later", async () => {
    const s = await studio({ env: { IDLE_STOP_MINUTES: "10" } });
    const rosa = await signIn(s, ROSA);
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const first = await waitState(rosa, "running", "lora-tool");
    await waitFor(() => Date.now() > Date.parse(first.idle_stop_at) - 10 * 60_000 + 20, {
      what: "time to pass",
    });
    const kept = await post(rosa, "/keep_alive", { tool_id: "lora-tool" }).expect(200);
    expect(Date.parse(kept.body.idle_stop_at)).toBeGreaterThan(Date.parse(first.idle_stop_at));
    await post(s.agent(), "/keep_alive", { tool_id: "lora-tool" }).expect(400);
    await post(rosa, "/keep_alive", { tool_id: "nope" }).expect(404);
  });

  it("busy is never idle: work queued in the tool counts as activity", async () => {
    const s = await studio();
    install(s.dirs, "ComfyUI");
    const rosa = await signIn(s, ROSA);
    await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    await waitState(rosa, "running", "comfy-ui");
    let now = Date.now();
    let busy = 1;
    const idle = new ToolIdle({
      minutes: 1,
      tools: s.studio.tools,
      jobs: s.studio.jobs,
      logger: pino({ level: "silent" }),
      clock: () => now,
      probe: () => Promise.resolve({ count: busy, by: { [ROSA]: busy } }),
    });
    const comfy = s.studio.manager.get("comfy-ui")!;
    now += 2 * 60_000;
    await idle.check();
    expect(comfy.state).toBe("running");
    expect(s.studio.activity.lastAt("comfy-ui")).toBe(now);
    busy = 0;
    now += 2 * 60_000;
    await idle.check();
    expect(comfy.state).toBe("stopped");
    expect(comfy.record.message).toMatch(/without activity/);
  });

  it("warns 5 minutes before, or half the idle time when that is shorter", () => {
    expect(warnBeforeMs(60 * 60_000)).toBe(5 * 60_000);
    expect(warnBeforeMs(4 * 60_000)).toBe(2 * 60_000);
  });

  it("the timer survives a restart: no fresh idle period, no early stop", async () => {
    const first = await studio({ env: { IDLE_STOP_MINUTES: "30" } });
    const rosa = await signIn(first, ROSA);
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const before = await waitState(rosa, "running", "lora-tool");
    await first.close();
    const second = await studio({ dirs: first.dirs, env: { IDLE_STOP_MINUTES: "30" } });
    const after = await waitState(second.agent(), "running", "lora-tool");
    expect(after.pid).toBe(before.pid);
    expect(Math.abs(Date.parse(after.idle_stop_at) - Date.parse(before.idle_stop_at))).toBeLessThan(1_500);
    const saved = JSON.parse(readFileSync(`${first.dirs.state}/state.json`, "utf8")) as {
      tools: Record<string, { last_activity_at: string | null }[]>;
    };
    expect(saved.tools["lora-tool"]![0]!.last_activity_at).not.toBeNull();
  });
});
