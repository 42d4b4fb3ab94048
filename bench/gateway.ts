/**
 * The tool gateway against direct access to the same tool, interleaved in one run (every round measures both,
 * in alternating order): the built studio in its own process, in front of bench/gateway-upstream.ts (a file
 * server and an echo WebSocket, started by the studio as its LoRA-Tool, so in a process of its own too).
 * Requests through the gateway carry the artist's tool cookie, as a browser's do.
 * - throughput of a 1 GiB download (goal: at least 0.8 of direct);
 * - added latency of a small GET on a kept-alive connection (goal: p50 at most 1 ms);
 * - WebSocket round trip overhead (goal: at most 1 ms);
 * - 200 WebSockets held open through the gateway (goal: the studio's RSS grows by at most 50 MB).
 *
 * ```sh
 * npm run bench -- gateway
 * ```
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import WebSocket from "ws";
import { TICKET_PARAM } from "../server/gateway/tickets.js";
import { ensureBuilt, spawnStudio, type StudioProcess } from "../test/helpers/built.js";
import { post } from "../test/helpers/http.js";
import { peakBytes, resetPeak, rssBytes } from "../test/helpers/memory.js";
import { freePort } from "../test/helpers/ports.js";
import { FIXTURE_REPO, makeDirs, removeDirs } from "../test/helpers/studio.js";
import { waitFor } from "../test/helpers/wait.js";
import { line, summary } from "./stats.js";

const UPSTREAM = path.join(path.dirname(fileURLToPath(import.meta.url)), "gateway-upstream.js");
const GiB = 1024 * 1024 * 1024;
const DOWNLOAD_ROUNDS = 5;
const ROUNDS = 7;
const GETS_PER_ROUND = 1000;
const TRIPS_PER_ROUND = 1000;
const HELD_SOCKETS = 200;

interface Target {
  label: string;
  origin: string;
  headers: Record<string, string>;
}

export function download(target: Target, size: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(`${target.origin}/bytes?size=${size}`, { headers: target.headers, agent: false }, (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => (bytes += chunk.length));
        res.on("end", () => {
          if (bytes !== size) reject(new Error(`${target.label}: ${bytes} of ${size} bytes`));
          else resolve(size / 1e6 / ((performance.now() - started) / 1000));
        });
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

function smallGet(target: Target, agent: http.Agent): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(`${target.origin}/small`, { headers: target.headers, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(performance.now() - started));
      })
      .on("error", reject);
  });
}

function openSocket(target: Target): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${target.origin.replace(/^http/, "ws")}/echo`, {
      headers: target.headers,
      perMessageDeflate: false,
    });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function roundTrip(ws: WebSocket, payload: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    ws.once("message", () => resolve(performance.now() - started));
    ws.send(payload);
  });
}

const spread = (values: number[], digits = 0, unit = "") => {
  const { median, min, max } = summary(values);
  return `${median.toFixed(digits)}${unit} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
};
const verdict = (met: boolean) => (met ? "met" : "MISSED");

/** The studio running the upstream as its LoRA-Tool, and the two ways to it. */
export async function setUp(nodeArgs: string[] = []): Promise<{
  proc: StudioProcess;
  upstreamPid: number;
  direct: Target;
  proxied: Target;
  cleanUp: () => Promise<void>;
}> {
  await ensureBuilt();
  const dirs = await makeDirs();
  const repo = path.join(dirs.root, "repo");
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  writeFileSync(
    path.join(repo, "setup", "lora-tool", "start_lora_tool.sh"),
    `#!/usr/bin/env bash\nexec node ${JSON.stringify(UPSTREAM)}\n`,
  );
  const proc = await spawnStudio(dirs, { env: { REPO_DIR: repo, LOG_LEVEL: "warn" }, nodeArgs });
  const agent = proc.agent();
  const cleanUp = async () => {
    await post(agent, "/stop_session", { tool_id: "lora-tool" });
    await proc.stop();
    removeDirs(dirs);
  };
  try {
    await post(agent, "/set_artist", { artist: "Rosa Macak Cizmesija" }).expect(200);
    await post(agent, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const status = await waitFor(
      async () => {
        const body = (await agent.get("/tool_status/lora-tool")).body as { state: string; pid: number };
        return body.state === "running" ? body : null;
      },
      { timeoutMs: 20_000, what: "the upstream to run" },
    );
    const debug = (await agent.get("/debug").expect(200)).body as {
      tools: { tool_id: string; internal_ports: number[] }[];
    };
    const internal = debug.tools.find((tool) => tool.tool_id === "lora-tool")!.internal_ports[0]!;
    const open = new URL((await agent.get("/open/lora-tool").expect(302)).headers.location as string);
    const swap = await fetch(open, { redirect: "manual" });
    const cookie = swap.headers.get("set-cookie")!.split(";")[0]!;
    if (open.searchParams.get(TICKET_PARAM) === null) throw new Error("no ticket");
    return {
      proc,
      upstreamPid: status.pid,
      direct: { label: "direct", origin: `http://127.0.0.1:${internal}`, headers: {} },
      proxied: {
        label: "gateway",
        origin: `http://127.0.0.1:${dirs.env.LORA_TOOL_PORT}`,
        headers: { cookie },
      },
      cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** CPU time (user + system) of a process so far, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const alternate = (round: number, a: Target, b: Target) => (round % 2 === 0 ? [a, b] : [b, a]);

/** 200 WebSockets held through the gateway, on a studio that has not streamed anything yet. */
async function heldSockets(proc: StudioProcess, proxied: Target): Promise<void> {
  const growth: number[] = [];
  const peakGrowth: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = rssBytes(proc.pid);
    resetPeak(proc.pid);
    const held = await Promise.all(Array.from({ length: HELD_SOCKETS }, () => openSocket(proxied)));
    await Promise.all(held.map((ws) => roundTrip(ws, "hello")));
    growth.push((rssBytes(proc.pid) - before) / 1e6);
    peakGrowth.push((peakBytes(proc.pid) - before) / 1e6);
    await Promise.all(
      held.map((ws) => new Promise<void>((resolve) => (ws.once("close", () => resolve()), ws.close()))),
    );
  }
  const worst = Math.max(...growth);
  line(`${HELD_SOCKETS} WebSockets held, studio RSS growth (${ROUNDS} rounds)`, spread(growth, 1, " MB"));
  line(
    "  first round (a fresh studio), and the worst",
    `${growth[0]!.toFixed(1)} MB, ${worst.toFixed(1)} MB   goal <= 50 MB: ${verdict(worst <= 50)}`,
  );
  line("  at its peak (VmHWM), median", spread(peakGrowth, 1, " MB"));
}

async function smallGets(direct: Target, proxied: Target): Promise<void> {
  const agents = new Map(
    [direct, proxied].map((target) => [target, new http.Agent({ keepAlive: true, maxSockets: 1 })]),
  );
  for (let i = 0; i < 200; i++)
    for (const target of [direct, proxied]) await smallGet(target, agents.get(target)!);
  const p50: Record<string, number[]> = { direct: [], gateway: [] };
  const added: number[] = [];
  const addedP90: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const times: Record<string, number[]> = { direct: [], gateway: [] };
    for (let i = 0; i < GETS_PER_ROUND; i++)
      for (const target of alternate(i, direct, proxied))
        times[target.label]!.push(await smallGet(target, agents.get(target)!));
    const d = summary(times.direct!);
    const g = summary(times.gateway!);
    p50.direct!.push(d.median);
    p50.gateway!.push(g.median);
    added.push(g.median - d.median);
    addedP90.push(g.p90 - d.p90);
  }
  for (const agent of agents.values()) agent.destroy();
  line(`small GET p50, direct (${ROUNDS} rounds of ${GETS_PER_ROUND})`, spread(p50.direct!, 3, " ms"));
  line("small GET p50, through the gateway", spread(p50.gateway!, 3, " ms"));
  const median = summary(added).median;
  line("  added latency, p50", `${spread(added, 3, " ms")}   goal <= 1 ms: ${verdict(median <= 1)}`);
  line("  added latency, p90", spread(addedP90, 3, " ms"));
}

async function roundTrips(direct: Target, proxied: Target): Promise<void> {
  const sockets = new Map<Target, WebSocket>();
  for (const target of [direct, proxied]) sockets.set(target, await openSocket(target));
  const payload = "x".repeat(100);
  for (let i = 0; i < 200; i++)
    for (const target of [direct, proxied]) await roundTrip(sockets.get(target)!, payload);
  const rtt: Record<string, number[]> = { direct: [], gateway: [] };
  const overhead: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const times: Record<string, number[]> = { direct: [], gateway: [] };
    for (let i = 0; i < TRIPS_PER_ROUND; i++)
      for (const target of alternate(i, direct, proxied))
        times[target.label]!.push(await roundTrip(sockets.get(target)!, payload));
    rtt.direct!.push(summary(times.direct!).median);
    rtt.gateway!.push(summary(times.gateway!).median);
    overhead.push(summary(times.gateway!).median - summary(times.direct!).median);
  }
  for (const ws of sockets.values()) ws.close();
  line(
    `WebSocket round trip p50, direct (${ROUNDS} rounds of ${TRIPS_PER_ROUND})`,
    spread(rtt.direct!, 3, " ms"),
  );
  line("WebSocket round trip p50, through the gateway", spread(rtt.gateway!, 3, " ms"));
  const median = summary(overhead).median;
  line("  overhead", `${spread(overhead, 3, " ms")}   goal <= 1 ms: ${verdict(median <= 1)}`);
}

/** The plainest Node proxy in front of `direct`, in a process of its own. */
async function pipeProxy(direct: Target): Promise<{ target: Target; pid: number; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, [UPSTREAM], {
    env: { ...process.env, PORT: String(port), PIPE_TO: new URL(direct.origin).port },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  const target = { label: "pipe", origin: `http://127.0.0.1:${port}`, headers: {} };
  return { target, pid: child.pid!, stop: () => child.kill() };
}

/** 1 GiB downloads, with the CPU each process used (the studio is a third process on the way). */
async function downloads(
  proc: StudioProcess,
  upstreamPid: number,
  direct: Target,
  proxied: Target,
): Promise<void> {
  const pipe = await pipeProxy(direct);
  try {
    await downloadRounds(proc, upstreamPid, direct, proxied, pipe);
  } finally {
    pipe.stop();
  }
}

async function downloadRounds(
  proc: StudioProcess,
  upstreamPid: number,
  direct: Target,
  proxied: Target,
  pipe: { target: Target; pid: number },
): Promise<void> {
  for (const target of [direct, proxied, pipe.target]) await download(target, 64 * 1024 * 1024);
  const mbps: Record<string, number[]> = { direct: [], gateway: [], pipe: [] };
  const pipeCpu: number[] = [];
  const studioCpu: number[] = [];
  /** CPU seconds per GiB forwarded: what a core of its own would allow, whatever else shares this machine. */
  const perGiB: Record<string, number[]> = { gateway: [], pipe: [] };
  const upstreamCpu: Record<string, number[]> = { direct: [], gateway: [] };
  const ratios: number[] = [];
  for (let round = 0; round < DOWNLOAD_ROUNDS; round++) {
    const got: Record<string, number> = {};
    for (const target of alternate(round, direct, proxied)) {
      const studio0 = cpuSeconds(proc.pid);
      const upstream0 = cpuSeconds(upstreamPid);
      const started = performance.now();
      got[target.label] = await download(target, GiB);
      const seconds = (performance.now() - started) / 1000;
      upstreamCpu[target.label]!.push((100 * (cpuSeconds(upstreamPid) - upstream0)) / seconds);
      if (target === proxied) {
        studioCpu.push((100 * (cpuSeconds(proc.pid) - studio0)) / seconds);
        perGiB.gateway!.push(cpuSeconds(proc.pid) - studio0);
      }
    }
    mbps.direct!.push(got.direct!);
    mbps.gateway!.push(got.gateway!);
    ratios.push(got.gateway! / got.direct!);
    const pipe0 = cpuSeconds(pipe.pid);
    const started = performance.now();
    mbps.pipe!.push(await download(pipe.target, GiB));
    pipeCpu.push((100 * (cpuSeconds(pipe.pid) - pipe0)) / ((performance.now() - started) / 1000));
    perGiB.pipe!.push(cpuSeconds(pipe.pid) - pipe0);
  }
  line(`1 GiB download, direct (${DOWNLOAD_ROUNDS} rounds)`, spread(mbps.direct!, 0, " MB/s"));
  line("1 GiB download, through the gateway", spread(mbps.gateway!, 0, " MB/s"));
  const ratio = summary(ratios).median;
  line("  gateway / direct, per round", `${spread(ratios, 2)}   goal >= 0.80: ${verdict(ratio >= 0.8)}`);
  line("  CPU of the studio while it forwards", spread(studioCpu, 0, " %"));
  line("reference: the plainest Node proxy (two pipes)", spread(mbps.pipe!, 0, " MB/s"));
  line("  its CPU", spread(pipeCpu, 0, " %"));
  const ofPipe = summary(mbps.gateway!).median / summary(mbps.pipe!).median;
  line("  gateway / plainest Node proxy (medians)", ofPipe.toFixed(2));
  line(
    "  CPU of the tool, direct / through the gateway",
    `${spread(upstreamCpu.direct!, 0, " %")} / ${spread(upstreamCpu.gateway!, 0, " %")}`,
  );
  line("  cores on this machine", String(os.availableParallelism()));
  const ceiling = (seconds: number) => GiB / 1e6 / seconds;
  line(
    "CPU seconds per GiB forwarded, studio / plainest proxy",
    `${spread(perGiB.gateway!, 2, " s")} / ${spread(perGiB.pipe!, 2, " s")}`,
  );
  line(
    "  so on a core of its own at most, studio / plainest proxy",
    `${ceiling(summary(perGiB.gateway!).median).toFixed(0)} MB/s / ${ceiling(summary(perGiB.pipe!).median).toFixed(0)} MB/s`,
  );
}

export async function run(): Promise<void> {
  const { proc, upstreamPid, direct, proxied, cleanUp } = await setUp();
  try {
    console.log(
      "gateway: the built studio in front of a tool in its own process, against the tool directly; " +
        "interleaved rounds, medians (min–max)",
    );
    await heldSockets(proc, proxied);
    await smallGets(direct, proxied);
    await roundTrips(direct, proxied);
    await downloads(proc, upstreamPid, direct, proxied);
    line("studio RSS at the end", `${(rssBytes(proc.pid) / 1e6).toFixed(0)} MB`);
  } finally {
    await cleanUp();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
