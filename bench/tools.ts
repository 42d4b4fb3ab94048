/**
 * Tool lifecycle figures, with stand-in tools:
 * - from the tool's port answering to `state: running` (readiness polling delay);
 * - from a stop request to the port being free;
 * - bytes and time of a `/logs` poll with nothing new while the log file is 20 MB, against reading it whole.
 */
import { appendFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isPortTaken } from "../server/tools/readiness.js";
import { removeDirs, startTestStudio } from "../test/helpers/studio.js";
import { line, ms, summary } from "./stats.js";

const ROUNDS = 8;

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
      .get({ host: "127.0.0.1", port, path, agent: false }, (response) => {
        let bytes = 0;
        response.on("data", (chunk: Buffer) => (bytes += chunk.length));
        response.on("end", () => resolve({ bytes, ms: performance.now() - started }));
      })
      .on("error", reject);
  });
}

export async function run(): Promise<void> {
  const test = await startTestStudio({ settings: { readyIntervalMs: 100 } });
  const { studio, dirs } = test;
  try {
    const tool = studio.manager.get("lora-tool")!;
    const readyDelays: number[] = [];
    const stopTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      tool.start("Rosa Macak Cizmesija");
      await until(() => tool.targetPort !== null);
      const port = tool.targetPort!;
      const answered = await until(() => isPortTaken(port));
      const running = await until(() => tool.state === "running");
      readyDelays.push(running - answered);
      const asked = performance.now();
      await tool.stop("bench");
      const free = await until(async () => !(await isPortTaken(port)));
      stopTimes.push(free - asked);
    }
    const ready = summary(readyDelays);
    line("port answering -> state running (median / p90)", `${ms(ready.median)} / ${ms(ready.p90)}`);
    line("  readiness poll interval", ms(100));
    const stop = summary(stopTimes);
    line("stop request -> port free (median / p90)", `${ms(stop.median)} / ${ms(stop.p90)}`);

    // A 20 MB log and a reader that is up to date.
    const log = studio.logs.get("comfy-ui.log");
    const row = `${"x".repeat(99)}\n`;
    const block = row.repeat(10_000);
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
    const poll = summary(polls);
    line("log file size", `${(cursor / 1e6).toFixed(1)} MB`);
    line("/logs poll with nothing new: answer size", `${bytes} bytes`);
    line("/logs poll with nothing new (median / p90)", `${ms(poll.median)} / ${ms(poll.p90)}`);
    line(
      "answer size vs. re-sending the whole file",
      `1 : ${Math.round(cursor / bytes).toLocaleString("en")}`,
    );
    server.close();
  } finally {
    for (const supervisor of studio.manager.all()) await supervisor.stop("bench");
    await test.close();
    removeDirs(dirs);
  }
}
