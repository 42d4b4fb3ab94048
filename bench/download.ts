/**
 * Download throughput: the studio's model downloader against `curl -s -o`, on the same loopback server in
 * the same run. The server runs in a worker thread (so it does not share the downloader's event loop) and
 * streams a 256 MiB file made of one generated 16 MiB block, without holding the file in memory.
 *
 * ```sh
 * npm run build && node dist/bench/download.js
 * ```
 */
import { createCipheriv, createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { execa } from "execa";
import { downloadFiles } from "../server/models/downloader.js";

const BLOCK = 16 * 1024 * 1024;
const SIZE = 256 * 1024 * 1024;

const SERVER_SOURCE = `
const http = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
const block = Buffer.from(workerData.block);
const total = workerData.size;
const server = http.createServer((req, res) => {
  let start = 0;
  let end = total;
  const headers = { "Accept-Ranges": "bytes" };
  const range = /^bytes=(\\d+)-(\\d*)$/.exec(req.headers.range || "");
  let status = 200;
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(total, Number(range[2]) + 1) : total;
    status = 206;
    headers["Content-Range"] = "bytes " + start + "-" + (end - 1) + "/" + total;
  }
  headers["Content-Length"] = end - start;
  res.writeHead(status, headers);
  if (req.method === "HEAD") return res.end();
  let pos = start;
  const pump = () => {
    while (pos < end) {
      const off = pos % block.length;
      const n = Math.min(block.length - off, end - pos, 1024 * 1024);
      pos += n;
      if (!res.write(block.subarray(off, off + n))) return void res.once("drain", pump);
    }
    res.end();
  };
  res.on("close", () => { pos = end; });
  pump();
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

function makeBlock(): Buffer {
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(BLOCK)), cipher.final()]);
}

function expectedSha(block: Buffer): string {
  const hash = createHash("sha256");
  for (let i = 0; i < SIZE / BLOCK; i++) hash.update(block);
  return hash.digest("hex");
}

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

async function hasCurl(): Promise<boolean> {
  try {
    await execa("curl", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/** Runs the benchmark and prints MB/s for the downloader and for curl, and their ratio. */
export async function run(): Promise<void> {
  const block = makeBlock();
  const sha = expectedSha(block);
  const worker = new Worker(SERVER_SOURCE, { eval: true, workerData: { block, size: SIZE } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", (value: number) => resolve(value));
    worker.once("error", reject);
  });
  const url = `http://127.0.0.1:${port}/bench.bin`;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-download-"));
  const workspaceDir = path.join(dir, "workspace");
  const stateDir = path.join(dir, "state");
  await fs.mkdir(workspaceDir, { recursive: true });
  const results: { label: string; mbps: number }[] = [];

  try {
    console.log(`download: ${SIZE / 1024 / 1024} MiB over loopback (server in a worker thread)`);
    // One unmeasured pass warms up the server, the page cache and the JIT.
    const quiet = {
      workspaceDir,
      stateDir,
      tokens: {},
      signal: new AbortController().signal,
      log: () => undefined,
      retries: 0,
    };
    await downloadFiles([{ url, dest: path.join(workspaceDir, "warmup.bin") }], quiet);
    await fs.rm(path.join(workspaceDir, "warmup.bin"));
    await fs.rm(path.join(stateDir, "models", "sizes.json"), { force: true });
    for (const withSha of [false, true]) {
      const dest = path.join(workspaceDir, `downloader-${withSha ? "sha" : "plain"}.bin`);
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 20);
      const started = performance.now();
      await downloadFiles([{ url, dest, sha256: withSha ? sha : undefined }], quiet);
      const ms = performance.now() - started;
      clearInterval(sampler);
      const size = (await fs.stat(dest)).size;
      if (size !== SIZE) throw new Error(`downloaded ${size} bytes, expected ${SIZE}`);
      await fs.rm(dest);
      await fs.rm(path.join(stateDir, "models", "sizes.json"), { force: true });
      const label = withSha ? "downloader + sha256" : "downloader";
      results.push({ label, mbps: mbps(SIZE, ms) });
      console.log(
        `  ${label.padEnd(20)} ${mbps(SIZE, ms).toFixed(0).padStart(6)} MB/s  (${(ms / 1000).toFixed(2)} s, ` +
          `peak RSS +${((peakRss - rssBefore) / 1024 / 1024).toFixed(0)} MiB)`,
      );
    }

    if (await hasCurl()) {
      const dest = path.join(workspaceDir, "curl.bin");
      const started = performance.now();
      await execa("curl", ["-s", "-o", dest, url]);
      const ms = performance.now() - started;
      const size = (await fs.stat(dest)).size;
      if (size !== SIZE) throw new Error(`curl downloaded ${size} bytes, expected ${SIZE}`);
      const curl = mbps(SIZE, ms);
      console.log(
        `  ${"curl -s -o".padEnd(20)} ${curl.toFixed(0).padStart(6)} MB/s  (${(ms / 1000).toFixed(2)} s)`,
      );
      for (const r of results) console.log(`  ratio ${r.label} / curl: ${(r.mbps / curl).toFixed(2)}`);
    } else {
      console.log("  curl is not installed; the curl comparison is skipped.");
    }
  } finally {
    await worker.terminate();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
