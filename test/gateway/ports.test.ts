/**
 * The public tool ports while tools are stopped, starting or crashed (503 that names the tool and its state,
 * nothing hangs), admin-only tools (403 with a sentence everywhere), and tools bound to loopback on internal
 * ports of their own.
 */
import net from "node:net";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.js";
import { post, toolStatus, waitState } from "../helpers/http.js";
import { standinRecord } from "../helpers/standin.js";
import { install, standinMode } from "../helpers/studio.js";
import {
  enter,
  RAZVAN,
  refusedSocket,
  ROSA,
  runTool,
  signInAs,
  toolOrigin,
  useGatewayStudios,
  wsOrigin,
} from "./helpers.js";

const studio = useGatewayStudios();
const PASSWORD = "studio-pw-ports";
const quick = () => ({ signal: AbortSignal.timeout(5_000) });

async function answers(url: string, headers: Record<string, string>) {
  const page = await fetch(url, {
    headers: { ...headers, Accept: "text/html" },
    signal: AbortSignal.timeout(5_000),
  });
  const script = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  return {
    page,
    html: await page.text(),
    script,
    json: (await script.json()) as { success: boolean; message: string },
  };
}

describe("a tool that is not there", () => {
  it("stopped: 503 with a page naming the tool and its state and a link back, JSON for scripts", async () => {
    const s = await studio();
    const { page, html, script, json } = await answers(`${toolOrigin(s, "comfy-ui")}/`, {});
    expect(page.status).toBe(503);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(html).toMatch(/<title>ComfyUI is not running<\/title>/);
    expect(html).toContain("ComfyUI is stopped: start it from the studio.");
    expect(html).toContain(`<a href="http://127.0.0.1:${s.config.port}">Back to the studio</a>`);
    expect(html).not.toMatch(/http-equiv="refresh"/);
    expect(script.status).toBe(503);
    expect(json).toEqual({ success: false, message: "ComfyUI is stopped: start it from the studio." });
    const ws = await refusedSocket(`${wsOrigin(s, "comfy-ui")}/ws`);
    expect(ws.status).toBe(503);
    expect(JSON.parse(ws.body)).toMatchObject({
      success: false,
      message: expect.stringMatching(/ComfyUI is stopped/),
    });
  });

  it("starting: 503 that says so and reloads itself; then the tool answers", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD } });
    standinMode(s.dirs, "comfy-ui", "slow:600000");
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    const { cookie } = await enter(rosa, "comfy-ui");
    const { page, html, script, json } = await answers(`${toolOrigin(s, "comfy-ui")}/`, { cookie });
    expect(page.status).toBe(503);
    expect(html).toMatch(/<title>ComfyUI is starting<\/title>/);
    expect(html).toMatch(/<meta http-equiv="refresh" content="3">/);
    expect(script.status).toBe(503);
    expect(json.message).toBe("ComfyUI is starting; this page reloads until it is ready.");
    await post(rosa, "/stop_session", { tool_id: "comfy-ui" }).expect(200);
    standinMode(s.dirs, "comfy-ui", "ok");
    await runTool(rosa);
    expect(
      (await fetch(`${toolOrigin(s, "comfy-ui")}/system_stats`, { headers: { cookie }, ...quick() })).status,
    ).toBe(200);
  });

  it("crashed: 503 that says it stopped unexpectedly", async () => {
    const s = await studio();
    standinMode(s.dirs, "comfy-ui", "exit:3");
    const rosa = await signInAs(s, ROSA);
    await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    await waitState(rosa, "crashed");
    const { json, script } = await answers(`${toolOrigin(s, "comfy-ui")}/queue`, {});
    expect(script.status).toBe(503);
    expect(json.message).toBe("ComfyUI is not running (it stopped unexpectedly): start it from the studio.");
  });

  it("a tool that dies under the gateway: 502 or 503 at once, never a hang", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    const running = await runTool(rosa, "lora-tool");
    process.kill(running.pid as number, "SIGKILL");
    const res = await fetch(`${toolOrigin(s, "lora-tool")}/x`, quick());
    expect([502, 503]).toContain(res.status);
    expect((await res.json()) as unknown).toMatchObject({
      success: false,
      message: expect.stringMatching(/LoRA-Tool/),
    });
  });
});

describe("a tool that restarts in place (ComfyUI-Manager's Restart: the same process, its port closed a while)", () => {
  it("stays running; meanwhile a page says so and tries again, a script gets JSON; then requests pass again", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    const running = await runTool(rosa, "lora-tool");
    const { cookie } = await enter(rosa, "lora-tool");
    const origin = toolOrigin(s, "lora-tool");
    const restart = await fetch(`${origin}/_standin/restart?ms=3000`, {
      method: "POST",
      headers: { cookie },
    });
    expect(await restart.json()).toEqual({ restarting: 3000 });

    // The first request may meet the kept connection the tool just closed (ECONNRESET, EPIPE), later ones its
    // closed port (ECONNREFUSED): the same answer either way.
    const sentence =
      /^LoRA-Tool is not answering right now \((ECONNRESET|ECONNREFUSED|EPIPE|socket hang up)\); it may be restarting itself, or it stopped\.$/;
    const page = await fetch(`${origin}/`, { headers: { cookie, accept: "text/html" } });
    expect(page.status).toBe(502);
    const html = await page.text();
    expect(/<p>([^<]*) This page tries again every few seconds\.<\/p>/.exec(html)?.[1], html).toMatch(
      sentence,
    );
    expect(html).toContain('<meta http-equiv="refresh" content="3">');
    const script = await fetch(`${origin}/x`, { headers: { cookie } });
    expect(script.status).toBe(502);
    const answer = (await script.json()) as { success: boolean; message: string };
    expect(answer.success).toBe(false);
    expect(answer.message).toMatch(sentence);
    expect(await toolStatus(rosa, "lora-tool")).toMatchObject({ state: "running", pid: running.pid });

    await waitFor(async () => (await fetch(`${origin}/x`, { headers: { cookie } })).status === 200, {
      what: "the tool to answer again",
    });
    expect(await toolStatus(rosa, "lora-tool")).toMatchObject({ state: "running", pid: running.pid });
  });
});

describe("fields only admins see (AI-Toolkit's settings hold the Hugging Face token an admin typed in)", () => {
  it("are blanked for an artist, compressed answers too, and left for an admin; the rest of the answer passes", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD } });
    install(s.dirs, "ai-toolkit");
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa, "ai-toolkit");
    const settings = async (cookie: string, query = "") => {
      const res = await fetch(`${toolOrigin(s, "ai-toolkit")}/api/settings${query}`, { headers: { cookie } });
      expect(res.status).toBe(200);
      return { body: (await res.json()) as Record<string, string>, headers: res.headers };
    };
    const folders = {
      TRAINING_FOLDER: "/workspace/ai-toolkit/output",
      DATASETS_FOLDER: "/workspace/ai-toolkit/datasets",
    };
    const artist = (await enter(rosa, "ai-toolkit")).cookie;
    for (const query of ["", "?gzip=1"]) {
      const seen = await settings(artist, query);
      expect(seen.body, query).toEqual({ HF_TOKEN: "", ...folders });
      expect(seen.headers.get("cache-control")).toBe("no-store");
      expect(seen.headers.get("etag")).toBeNull();
    }
    const admin = (await enter(await signInAs(s, RAZVAN, PASSWORD), "ai-toolkit")).cookie;
    expect((await settings(admin)).body).toEqual({ HF_TOKEN: "hf_standin_typed_in", ...folders });
  });
});

describe("ADMIN_ONLY_TOOLS", () => {
  it("a non-admin gets 403 with a sentence at /open, at the tool port and at /start_session", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD, ADMIN_ONLY_TOOLS: "comfy-ui" } });
    const rosa = await signInAs(s, ROSA, PASSWORD);
    const sentence = "ComfyUI is for admins only on this studio (ADMIN_ONLY_TOOLS); ask an admin.";
    const start = await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(403);
    expect(start.body).toEqual({ success: false, message: sentence });

    const admin = await signInAs(s, RAZVAN, PASSWORD);
    await runTool(admin);
    const open = await rosa.get("/open/comfy-ui").expect(403);
    expect(open.text).toContain(sentence);
    const rosaKey = (await rosa.get("/api_key").expect(200)).body.key as string;
    const port = await fetch(`${toolOrigin(s, "comfy-ui")}/queue`, {
      headers: { Authorization: `Bearer ${rosaKey}` },
    });
    expect(port.status).toBe(403);
    expect(await port.json()).toEqual({ success: false, message: sentence });
    expect((await refusedSocket(`${wsOrigin(s, "comfy-ui")}/k/${rosaKey}/ws`)).status).toBe(403);

    // The admin is let in, by the way of the page and by key.
    const { cookie } = await enter(admin, "comfy-ui");
    expect((await fetch(`${toolOrigin(s, "comfy-ui")}/queue`, { headers: { cookie } })).status).toBe(200);
    const adminKey = (await admin.get("/api_key").expect(200)).body.key as string;
    expect((await fetch(`${toolOrigin(s, "comfy-ui")}/k/${adminKey}/queue`)).status).toBe(200);
  });

  it("without a password, nobody in particular is no admin either", async () => {
    const s = await studio({ env: { ADMIN_ONLY_TOOLS: "lora-tool" } });
    await runTool(await signInAs(s, RAZVAN), "lora-tool");
    const res = await fetch(`${toolOrigin(s, "lora-tool")}/`);
    expect(res.status).toBe(403);
  });
});

/** An address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces()))
    for (const entry of list ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  return null;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

describe("tools behind the gateway", () => {
  it("listen on loopback only, on an internal port that differs from the public one; /debug shows it", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    await runTool(rosa);
    const record = standinRecord(s.dirs, "comfy-ui")!;
    const internal = Number(record.env.PORT);
    expect(record.env.LISTEN_HOST).toBe("127.0.0.1");
    expect(record.listening).toMatchObject({ address: "127.0.0.1", port: internal });
    expect(record.argv).toEqual(
      expect.arrayContaining(["--listen", "127.0.0.1", "--port", String(internal), "--multi-user"]),
    );
    expect(internal).not.toBe(s.config.toolPorts["comfy-ui"]);
    const debug = (await rosa.get("/debug").expect(200)).body as {
      tools: { tool_id: string; port: number; internal_ports: (number | null)[] }[];
      gateway: { ports: number[] };
    };
    const comfy = debug.tools.find((tool) => tool.tool_id === "comfy-ui")!;
    expect(comfy.internal_ports).toEqual([internal]);
    expect(comfy.port).toBe(s.config.toolPorts["comfy-ui"]);
    expect(debug.gateway.ports).toEqual(expect.arrayContaining(Object.values(s.config.toolPorts)));
    const outside = outsideAddress();
    if (outside) {
      expect(await connects(outside, internal)).toBe(false);
      expect(await connects(outside, s.config.toolPorts["comfy-ui"])).toBe(true);
    }
  });
});
