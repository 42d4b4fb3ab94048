/**
 * Tool lifecycle figures, interleaved A/B over several rounds: how soon a start becomes `running` after the
 * tool's port answers (the studio's look at the port on each line the tool logs, against the previous HTTP
 * probe every 100 ms), how much CPU the studio spends while a tool takes long to start, and how soon a stop
 * answers after the port is free.
 * Also `/logs` polling on a 20 MB log.
 *
 * npm run bench -- tools
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { DEFAULT_TOOL_SETTINGS } from "../server/tools/manager.js";
import { isPortTaken } from "../server/tools/readiness.js";
import { removeDirs, standinMode, startTestStudio } from "../test/helpers/studio.js";
import { goal, line, ms, spread, summary } from "./stats.js";

const ROUNDS = 7;

async function until(check: () => boolean | Promise<boolean>, stepMs = 1): Promise<number> {
  for (;;) {
    if (await check()) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

function get(port: number, path: string): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (response) => {
        let bytes = 0;
        response.on("data", (chunk: Buffer) => (bytes += chunk.length));
        response.on("end", () => resolve({ bytes, ms: performance.now() - started }));
      })
      .on("error", reject);
  });
}

/** One start and stop of the LoRA-Tool stand-in with a readiness probe every `intervalMs`. */
async function round(which: "old" | "new", slowMs: number) {
  // The previous way: an HTTP probe every 100 ms. Now: a TCP connect on each line of the tool's log (else
  // every 250 ms), HTTP once it listens.
  const settings = which === "old" ? { listenCheckMs: 0, readyIntervalMs: 100 } : DEFAULT_TOOL_SETTINGS;
  const test = await startTestStudio({ settings: { ...settings, foreignPollMs: 500 } });
  try {
    const tool = test.studio.manager.get("lora-tool")!;
    standinMode(test.dirs, "lora-tool", `slow:${slowMs}`);
    // The same studio idle for a while: what it spends without a tool starting.
    const base0 = process.cpuUsage();
    const b0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, slowMs - 1_000));
    const base = process.cpuUsage(base0);
    const baseWaited = performance.now() - b0;
    tool.start("Rosa Macak Cizmesija");
    await until(() => tool.targetPort !== null);
    const port = tool.targetPort!;
    // The studio alone for a while (nothing else polls): what its readiness probing costs.
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, slowMs - 1_000));
    const cpu = process.cpuUsage(cpu0);
    const waited = performance.now() - t0;
    const answered = await until(() => isPortTaken(port));
    const running = await until(() => tool.state === "running");
    let free = 0;
    const watching = until(async () => !(await isPortTaken(port))).then((at) => (free = at));
    await tool.stop("bench");
    const answeredStop = performance.now();
    await watching;
    return {
      ready: running - answered,
      // CPU the studio spends more while the tool has not opened its port than when idle: the probing.
      cpuPct: ((cpu.user + cpu.system) / 1000 / waited - (base.user + base.system) / 1000 / baseWaited) * 100,
      stopAfterFree: answeredStop - free,
    };
  } finally {
    await test.close();
    removeDirs(test.dirs);
  }
}

export async function run(): Promise<void> {
  const results: Record<"old" | "new", Awaited<ReturnType<typeof round>>[]> = { old: [], new: [] };
  for (let i = 0; i < ROUNDS; i++) {
    results.old.push(await round("old", 2_500));
    results.new.push(await round("new", 2_500));
  }
  const field = (which: "old" | "new", key: "ready" | "cpuPct" | "stopAfterFree") =>
    results[which].map((r) => r[key]);
  line(
    `rounds (interleaved: old HTTP every 100 ms / new TCP on each log line, else every ${DEFAULT_TOOL_SETTINGS.listenCheckMs} ms)`,
    String(ROUNDS),
  );
  line("port answering -> running, old: median (min–max)", spread(field("old", "ready"), ms));
  const ready = summary(field("new", "ready"));
  goal(
    "port answering -> running, new: p90",
    `${ms(ready.p90)} (median ${ms(ready.median)})`,
    "p90 <= 25 ms",
    ready.p90 <= 25,
  );
  line(
    "probing CPU while a tool starts, old (% of one core)",
    spread(field("old", "cpuPct"), (v) => `${v.toFixed(1)} %`),
  );
  const cpu = summary(field("new", "cpuPct"));
  goal(
    "probing CPU while a tool starts, new (% of one core)",
    spread(field("new", "cpuPct"), (v) => `${v.toFixed(1)} %`),
    "<= 2 %",
    cpu.median <= 2,
  );
  const stop = summary(field("new", "stopAfterFree"));
  goal(
    "port free -> stop answered, new: median",
    `${ms(stop.median)} (p90 ${ms(stop.p90)})`,
    "<= 10 ms",
    stop.median <= 10,
  );

  // A 20 MB log and a reader that is up to date.
  const test = await startTestStudio();
  try {
    const log = test.studio.logs.get("comfy-ui.log");
    const block = `${"x".repeat(99)}\n`.repeat(10_000);
    mkdirSync(path.dirname(log.file), { recursive: true });
    for (let i = 0; i < 20; i++) appendFileSync(log.file, block);
    const server = test.app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const httpPort = (server.address() as AddressInfo).port;
    const cursor = await log.end();
    const polls: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 300; i++) {
      const answer = await get(httpPort, `/logs?source=comfy-ui&cursor=${cursor}`);
      polls.push(answer.ms);
      bytes = answer.bytes;
    }
    line("/logs poll with nothing new on a 20 MB log: answer", `${bytes} bytes, ${spread(polls, ms)}`);
    server.close();
  } finally {
    await test.close();
    removeDirs(test.dirs);
  }
}
