/**
 * One download by the studio's downloader in a process of its own, so that its CPU time is its own (all
 * its threads). Prints one JSON line: `{ "ms": wall time, "cpuSeconds": user + sys of this process during
 * the download, "sysSeconds": sys }`. By default the run is in a download thread, as the studio's model jobs
 * run; `--in-loop` runs it on the process's own event loop, the previous way.
 *
 * ```sh
 * node dist/bench/download-child.js --url http://127.0.0.1:8080/f.bin --dir /tmp/x [--sha256 HEX] [--in-loop]
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { downloadSets } from "../server/models/downloader.js";
import { downloadSetsInThread } from "../server/models/thread/run.js";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    dir: { type: "string" },
    sha256: { type: "string" },
    "in-loop": { type: "boolean" },
  },
});
if (!values.url || !values.dir) {
  console.error("usage: download-child --url URL --dir DIR [--sha256 HEX]");
  process.exit(2);
}
const workspaceDir = path.join(values.dir, "workspace");
const dest = path.join(workspaceDir, "bench.bin");
await fs.mkdir(workspaceDir, { recursive: true });
const cpuBefore = process.cpuUsage();
const started = performance.now();
const download = values["in-loop"] ? downloadSets : downloadSetsInThread;
await download([{ id: "bench", name: "bench", files: [{ url: values.url, dest, sha256: values.sha256 }] }], {
  workspaceDir,
  stateDir: path.join(values.dir, "state"),
  tokens: {},
  signal: new AbortController().signal,
  log: process.env.BENCH_LOG
    ? (l: string) => console.error(`${Math.round(performance.now() - started)} ms ${l}`)
    : () => undefined,
  retries: 0,
});
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  `${JSON.stringify({ ms, cpuSeconds: (cpu.user + cpu.system) / 1e6, sysSeconds: cpu.system / 1e6 })}\n`,
);
