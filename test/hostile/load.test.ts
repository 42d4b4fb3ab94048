/**
 * Load: 50 clients poll a tool's log every 250 ms (at once again after a full answer) while the tool
 * writes for about 10 s. Every client gets every byte exactly once and in order (checked against the log
 * file, and by the tool's numbered lines), /healthz and /tools keep answering, and the studio's memory does
 * not run away. The writer is paced (about 0.6 MB/s, with bursts over one answer's size) so the test is
 * about correctness; bench/logs-load.ts runs the same at full speed and prints what happens there.
 */
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printLoad, runLogsLoad, type LoadResult } from "../../bench/logs-load.js";
import { makeDirs, removeDirs, type TestDirs } from "../helpers/studio.js";
import { copyFixtureRepo, ensureBuilt } from "./helpers.js";

const PACED = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "paced-tool.mjs");

let dirs: TestDirs;
let result: LoadResult;

beforeAll(async () => {
  await ensureBuilt();
  dirs = await makeDirs();
  const repo = copyFixtureRepo(dirs);
  const start = path.join(repo, "setup", "lora-tool", "start_lora_tool.sh");
  writeFileSync(
    start,
    `#!/usr/bin/env bash\nset -euo pipefail\nexec node ${JSON.stringify(PACED)} lora-tool\n`,
  );
  chmodSync(start, 0o644);
  result = await runLogsLoad({
    clients: 50,
    mode: "paced:10000:600000",
    repoDir: repo,
    pollMs: 250,
    // Large enough that no client can fall behind a rotation in this run.
    logMaxBytes: 1024 * 1024 * 1024,
    catchUpMs: 30_000,
    deadlineMs: 90_000,
  });
  if (process.env.HOSTILE_PRINT) printLoad("load test", result);
}, 150_000);

afterAll(() => {
  if (dirs) removeDirs(dirs);
});

describe("50 clients polling a busy log", () => {
  it("the tool wrote its lines and the log did not rotate", () => {
    expect(result.linesWritten).toBeGreaterThan(50_000);
    expect(result.rotated).toBe(false);
  });

  it("every client got every byte exactly once and in order", () => {
    for (const [i, client] of result.clients.entries()) {
      const label = `client ${i}: ${client.problems.join(" | ")}`;
      expect(client.problems, label).toEqual([]);
      expect(client.caughtUp, label).toBe(true);
      expect(client.resets, label).toBe(0);
      expect(client.byteMismatches, label).toBe(0);
      expect(client.lineErrors, label).toBe(0);
      expect(client.missedSilently, label).toBe(0);
      expect(client.lines, label).toBe(result.linesWritten);
      expect(client.bytes, label).toBe(result.bytesWritten);
    }
    // The bursts were larger than one answer: clients did poll again at once.
    expect(result.clients.some((client) => client.fullAnswers > 0)).toBe(true);
  });

  it("/healthz and /tools kept answering", () => {
    expect(result.side.asked).toBeGreaterThan(20);
    expect(result.side.failed).toBe(0);
  });

  it("the studio's memory did not run away", () => {
    expect(result.rss.start).toBeGreaterThan(0);
    expect(result.rss.end).toBeLessThan(3 * result.rss.start + 100 * 1024 * 1024);
  });
});
