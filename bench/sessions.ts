/**
 * What a session costs a request: `/logs` polled with a session cookie against without one, interleaved
 * over several rounds, the load from another process. Sessions are read from memory (the file is the
 * durable copy), so a cookie should cost little.
 *
 * npm run bench -- sessions
 */
import { execa } from "execa";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { removeDirs, startTestStudio } from "../test/helpers/studio.js";
import { goal, line, spread } from "./stats.js";

const ROUNDS = 5;
const SECONDS = 3;
const CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "load-client.js");

async function load(url: string, cookie?: string): Promise<number> {
  const { stdout } = await execa(process.execPath, [
    CLIENT,
    url,
    String(SECONDS),
    "8",
    ...(cookie ? [cookie] : []),
  ]);
  const { requests, seconds } = JSON.parse(stdout) as { requests: number; seconds: number };
  return requests / seconds;
}

export async function run(): Promise<void> {
  const test = await startTestStudio();
  const server = test.app.listen(0, "127.0.0.1");
  try {
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const picked = await fetch(`${base}/set_artist`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ artist: "Rosa Macak Cizmesija" }),
    });
    const cookie = picked.headers.get("set-cookie")!.split(";")[0]!;
    const url = `${base}/logs?source=comfy-ui`;
    const without: number[] = [];
    const withCookie: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      without.push(await load(url));
      withCookie.push(await load(url, cookie));
    }
    const rate = (value: number) => `${Math.round(value)} req/s`;
    line(`rounds (interleaved, ${SECONDS} s each, 8 connections)`, String(ROUNDS));
    line("/logs without a cookie", spread(without, rate));
    line("/logs with a session cookie", spread(withCookie, rate));
    const ratios = withCookie.map((value, i) => value / without[i]!);
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
    goal(
      "with / without, per round",
      spread(ratios, (v) => `${v.toFixed(2)}x`),
      ">= 0.85x",
      median >= 0.85,
    );
  } finally {
    server.close();
    await test.close();
    removeDirs(test.dirs);
  }
}
