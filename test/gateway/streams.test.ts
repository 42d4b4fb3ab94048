/**
 * Streams through the gateway of the built studio (its own process, so its memory can be read): a 256 MiB
 * upload and a 256 MiB download arrive intact while the studio's memory stays far below their size;
 * WebSockets pass both ways until either side closes; clients that vanish halfway leave everything working;
 * a tool that accepts and never answers gets 504 after the upstream idle limit.
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, spawnStudio, type StudioProcess } from "../helpers/built.js";
import { post, type Agent } from "../helpers/http.js";
import { peakBytes, resetPeak, rssBytes } from "../helpers/memory.js";
import { comfyPrompts, standinDownloads, standinRequests, standinUploads } from "../helpers/standin.js";
import { install, makeDirs, removeDirs, type TestDirs } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import {
  enter,
  openSocket,
  rawRequest,
  ROSA,
  runTool,
  signInAs,
  toolOrigin,
  useGatewayStudios,
} from "./helpers.js";

const MiB = 1024 * 1024;
const BIG = 256 * MiB;
/** The studio's memory may grow by this much at most while a 256 MiB stream passes. */
const MAX_GROWTH = 150 * 1000 * 1000;

/** `size` bytes of noise (AES-CTR of zeros), in 1 MiB chunks. */
function* chunks(size: number): Generator<Buffer> {
  const cipher = createCipheriv("aes-128-ctr", randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(MiB);
  for (let sent = 0; sent < size; sent += MiB)
    yield cipher.update(zeros.subarray(0, Math.min(MiB, size - sent)));
}

let dirs: TestDirs;
let proc: StudioProcess;
let rosa: Agent;
let lora: string;
let cookie: string;

beforeAll(async () => {
  await ensureBuilt();
  dirs = await makeDirs();
  install(dirs, "ComfyUI");
  proc = await spawnStudio(dirs, { env: { STUDIO_PASSWORD: "streams-pw", LOG_LEVEL: "info" } });
  rosa = proc.agent();
  await post(rosa, "/login", { password: "streams-pw" }).expect(200);
  await post(rosa, "/set_artist", { artist: ROSA }).expect(200);
  await runTool(rosa, "lora-tool");
  await runTool(rosa, "comfy-ui");
  lora = `127.0.0.1:${dirs.env.LORA_TOOL_PORT}`;
  cookie = (await enter(rosa, "lora-tool")).cookie;
}, 120_000);

afterAll(async () => {
  for (const tool of ["lora-tool", "comfy-ui"])
    if (rosa) await post(rosa, "/stop_session", { tool_id: tool });
  await proc?.stop();
  if (dirs) removeDirs(dirs);
});

/** The studio's memory growth at its peak while `work` runs. */
async function growthDuring(work: () => Promise<void>): Promise<number> {
  const before = rssBytes(proc.pid);
  resetPeak(proc.pid);
  await work();
  return peakBytes(proc.pid) - before;
}

describe("streams through the gateway", () => {
  it("a 256 MiB upload arrives intact, and the studio holds none of it", { timeout: 60_000 }, async () => {
    let sent = "";
    let answer: { bytes: number; sha256: string } | undefined;
    const growth = await growthDuring(async () => {
      answer = await new Promise((resolve, reject) => {
        const request = http.request(`http://${lora}/_standin/upload`, {
          method: "POST",
          headers: { cookie, "Content-Type": "application/octet-stream", "Content-Length": BIG },
        });
        const hash = createHash("sha256");
        const source = chunks(BIG);
        const pump = () => {
          for (let next = source.next(); !next.done; next = source.next()) {
            hash.update(next.value);
            if (!request.write(next.value)) return void request.once("drain", pump);
          }
          sent = hash.digest("hex");
          request.end();
        };
        request.on("response", (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (part: string) => (text += part));
          res.on("end", () => resolve(JSON.parse(text) as { bytes: number; sha256: string }));
        });
        request.on("error", reject);
        pump();
      });
    });
    expect(answer).toEqual({ bytes: BIG, sha256: sent });
    expect(standinUploads(dirs, "lora-tool").at(-1)).toEqual({ bytes: BIG, sha256: sent });
    expect(growth).toBeLessThan(MAX_GROWTH);
  });

  it("a 256 MiB download arrives intact, and the studio holds none of it", { timeout: 60_000 }, async () => {
    let received = { bytes: 0, sha256: "" };
    const growth = await growthDuring(
      () =>
        new Promise<void>((resolve, reject) => {
          http
            .get(`http://${lora}/_standin/bytes?size=${BIG}`, { headers: { cookie } }, (res) => {
              const hash = createHash("sha256");
              let bytes = 0;
              res.on("data", (chunk: Buffer) => {
                bytes += chunk.length;
                hash.update(chunk);
              });
              res.on("end", () => {
                received = { bytes, sha256: hash.digest("hex") };
                resolve();
              });
              res.on("error", reject);
            })
            .on("error", reject);
        }),
    );
    const sent = await waitFor(() => standinDownloads(dirs, "lora-tool").at(-1), {
      what: "the download's record",
    });
    expect(sent).toEqual({ bytes: BIG, complete: true, sha256: received.sha256 });
    expect(received.bytes).toBe(BIG);
    expect(growth).toBeLessThan(MAX_GROWTH);
  });

  it("a WebSocket passes messages both ways, large ones too, until either side closes", async () => {
    const url = `ws://${lora}/_standin/ws`;
    const socket = await openSocket(url, { headers: { cookie } });
    await waitFor(() => socket.messages[0], { what: "the tool's hello" });
    expect(JSON.parse(socket.messages[0]!)).toEqual({ hello: "lora-tool" });
    for (let i = 0; i < 50; i++) socket.ws.send(`message ${i}`);
    await waitFor(() => socket.messages.length === 51, { what: "50 echoes" });
    expect(socket.messages.slice(1)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i}`));
    // A 3 MiB message each way (past what the activity counter reads), then small ones still pass.
    const large = randomBytes(3 * MiB);
    const echoed = new Promise<Buffer>((resolve) =>
      socket.ws.once("message", (data: Buffer, isBinary) => isBinary && resolve(data)),
    );
    socket.ws.send(large);
    expect((await echoed).equals(large)).toBe(true);
    socket.ws.send("after the large one");
    await waitFor(() => socket.messages.at(-1) === "after the large one", {
      what: "a message after the large one",
    });
    // The tool closes.
    socket.ws.send("close:4002");
    expect(await socket.closed).toBe(4002);
    // The client closes.
    const other = await openSocket(url, { headers: { cookie } });
    await waitFor(() => other.messages[0], { what: "the tool's hello" });
    other.ws.close(4001, "done");
    expect(await other.closed).toBe(4001);
  });

  it("a client that vanishes mid-upload, mid-download or mid-prompt leaves the gateway and the tool working", async () => {
    // Mid-upload: 8 of 64 MiB sent, then the connection is gone.
    const uploads = standinUploads(dirs, "lora-tool").length;
    await new Promise<void>((resolve) => {
      const request = http.request(`http://${lora}/_standin/upload`, {
        method: "POST",
        headers: { cookie, "Content-Length": 64 * MiB },
      });
      request.on("error", () => undefined);
      let written = 0;
      const source = chunks(8 * MiB);
      for (let next = source.next(); !next.done; next = source.next()) {
        request.write(next.value, () => {
          written += MiB;
          if (written === 8 * MiB) {
            request.destroy();
            resolve();
          }
        });
      }
    });
    const cut = await waitFor(
      () =>
        standinUploads(dirs, "lora-tool")
          .slice(uploads)
          .find((u) => u.aborted),
      {
        what: "the tool to see the upload end",
      },
    );
    expect(cut.bytes).toBeLessThan(64 * MiB);

    // Mid-download: 4 MiB read of 1 GiB, then gone; the tool is told (it stops sending).
    const downloads = standinDownloads(dirs, "lora-tool").length;
    await new Promise<void>((resolve) => {
      const request = http.get(
        `http://${lora}/_standin/bytes?size=${1024 * MiB}`,
        { headers: { cookie } },
        (res) => {
          let bytes = 0;
          res.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes >= 4 * MiB) {
              request.destroy();
              resolve();
            }
          });
        },
      );
      request.on("error", () => undefined);
    });
    const stopped = await waitFor(() => standinDownloads(dirs, "lora-tool")[downloads], {
      what: "the tool to see the download end",
    });
    expect(stopped.complete).toBe(false);
    expect(stopped.bytes).toBeLessThan(1024 * MiB);

    // Mid-prompt (the one body the gateway reads itself): half a prompt, then gone.
    const comfy = `127.0.0.1:${dirs.env.COMFYUI_PORT}`;
    const comfyCookie = (await enter(rosa, "comfy-ui")).cookie;
    const body = JSON.stringify({
      prompt: { "9": { class_type: "SaveImage", inputs: { filename_prefix: "after" } } },
    });
    await new Promise<void>((resolve) => {
      const request = http.request(`http://${comfy}/prompt`, {
        method: "POST",
        headers: { cookie: comfyCookie, "Content-Type": "application/json", "Content-Length": body.length },
      });
      request.on("error", () => undefined);
      request.write(body.slice(0, 20), () => {
        request.destroy();
        resolve();
      });
    });
    const whole = await rawRequest(`http://${comfy}/prompt`, {
      method: "POST",
      headers: { cookie: comfyCookie, "Content-Type": "application/json" },
      body,
    });
    expect(whole.status).toBe(200);
    expect(comfyPrompts(dirs).map((p) => p.prompt["9"]!.inputs.filename_prefix)).toEqual([`${ROSA}/after`]);
    // A client that leaves is no fault of the gateway's.
    expect(proc.output()).not.toMatch(/"level":50/);

    // Everything still works.
    const answer = await rawRequest(`http://${lora}/after`, { headers: { cookie } });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ tool: "lora-tool", path: "/after" });
    const small = await rawRequest(`http://${lora}/_standin/upload`, {
      method: "POST",
      headers: { cookie },
      body: "abc",
    });
    expect(JSON.parse(small.body)).toMatchObject({ bytes: 3 });
    expect(proc.child.exitCode).toBeNull();
  });
});

describe("the gateway's own limits", () => {
  const studio = useGatewayStudios();

  it("closing the studio ends the WebSockets it forwards instead of waiting for them", async () => {
    const s = await studio();
    const agent = await signInAs(s, ROSA);
    await runTool(agent, "lora-tool");
    const { cookie: toolCookie } = await enter(agent, "lora-tool");
    const socket = await openSocket(`ws://127.0.0.1:${s.config.toolPorts["lora-tool"]}/_standin/ws`, {
      headers: { cookie: toolCookie },
    });
    await waitFor(() => socket.messages[0], { what: "the tool's hello" });
    const closing = s.studio.gateway.close();
    const ended = await Promise.race([
      closing.then(() => "closed"),
      new Promise((resolve) => setTimeout(resolve, 5_000, "still waiting")),
    ]);
    expect(ended).toBe("closed");
    expect(await socket.closed).toBe(1006);
  });

  it("keeps its connection to a tool for the next request, and reaches a restarted tool at once", async () => {
    const s = await studio();
    const agent = await signInAs(s, ROSA);
    await runTool(agent, "lora-tool");
    const { cookie } = await enter(agent, "lora-tool");
    const connection = async () => {
      // A new client connection each time: only the gateway's side can be kept.
      const res = await fetch(`${toolOrigin(s, "lora-tool")}/_standin/connection`, {
        headers: { cookie, connection: "close" },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { port: number; requests: number };
    };
    const first = await connection();
    expect(first.requests).toBe(1);
    expect(await connection()).toEqual({ port: first.port, requests: 2 });
    expect(await connection()).toEqual({ port: first.port, requests: 3 });

    // The kept connection ends with the tool: the restarted tool's first request gets a new one, not a 502.
    await post(agent, "/stop_session", { tool_id: "lora-tool" }).expect(200);
    await runTool(agent, "lora-tool");
    expect((await connection()).requests).toBe(1);
  });

  it("a client's Connection: close is honoured although the tool's connection is kept; a full URL as the target is refused", async () => {
    const s = await studio();
    const agent = await signInAs(s, ROSA);
    await runTool(agent, "lora-tool");
    const { cookie } = await enter(agent, "lora-tool");
    const port = s.config.toolPorts["lora-tool"];
    /** One request written as it is; the whole answer once the gateway ends the connection. */
    const exchange = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1", () =>
          socket.write(
            `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\n` +
              "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
          ),
        );
        let text = "";
        socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
        socket.setTimeout(5_000, () => socket.destroy(new Error(`the gateway kept ${target} open`)));
      });
    const closed = await exchange("/_standin/connection");
    expect(closed).toMatch(/^HTTP\/1\.1 200 /);
    expect(closed).toMatch(/\r\nconnection: close\r\n/i);
    expect(closed).not.toMatch(/\r\nkeep-alive:/i);

    const full = await exchange(`http://127.0.0.1:${port}/_standin/hang`);
    expect(full).toMatch(/^HTTP\/1\.1 400 /);
    expect(full).toContain("LoRA-Tool is asked by path (/...), not by a full URL.");
    expect(standinRequests(s.dirs, "lora-tool").filter((request) => request.url.includes("hang"))).toEqual(
      [],
    );
  });

  it("a tool that accepts and never answers gets 504 after the upstream idle limit, a page for a browser, JSON for a script", async () => {
    const s = await studio({ upstreamIdleMs: 300 });
    const agent = await signInAs(s, ROSA);
    await runTool(agent, "lora-tool");
    const origin = `http://127.0.0.1:${s.config.toolPorts["lora-tool"]}`;
    const started = Date.now();
    const script = await fetch(`${origin}/_standin/hang`, { signal: AbortSignal.timeout(5_000) });
    expect(script.status, await script.clone().text()).toBe(504);
    expect(await script.json()).toEqual({ success: false, message: "LoRA-Tool did not answer in time." });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const page = await fetch(`${origin}/_standin/hang`, {
      headers: { Accept: "text/html" },
      signal: AbortSignal.timeout(5_000),
    });
    expect(page.status).toBe(504);
    expect(await page.text()).toMatch(/LoRA-Tool did not answer[\s\S]*Back to the studio/);
    // The tool still answers everything else.
    expect((await fetch(`${origin}/x`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
  });
});
