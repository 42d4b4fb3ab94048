/**
 * The benchmark's file server, run as its own process so that it never shares a CPU or an event loop with
 * the downloader it serves. It serves one file of `--size` bytes (a generated 16 MiB block repeated, never
 * held whole in memory) at any path, with Range support, and can limit each connection to `--rate` bytes per
 * second (as CDNs do). It prints its port on stdout, then serves until it is killed.
 *
 * ```sh
 * node dist/bench/fileserver.js --size 536870912 --rate 20000000
 * ```
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { BLOCK, makeBlock } from "./served.js";

const CHUNK = 256 * 1024;

function write(res: http.ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.write(chunk)) resolve();
    else res.once("drain", resolve);
  });
}

async function serve(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  block: Buffer,
  size: number,
  rate: number,
): Promise<void> {
  let start = 0;
  let end = size;
  let status = 200;
  const headers: Record<string, string | number> = { "Accept-Ranges": "bytes" };
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(size, Number(range[2]) + 1) : size;
    if (start >= size) {
      res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
      return;
    }
    status = 206;
    headers["Content-Range"] = `bytes ${start}-${end - 1}/${size}`;
  }
  headers["Content-Length"] = end - start;
  res.writeHead(status, headers);
  if (req.method === "HEAD") return void res.end();
  let closed = false;
  res.once("close", () => (closed = true));
  const began = performance.now();
  for (let pos = start; pos < end && !closed;) {
    const off = pos % BLOCK;
    const n = Math.min(BLOCK - off, end - pos, CHUNK);
    await write(res, block.subarray(off, off + n));
    pos += n;
    if (rate > 0) {
      const ahead = ((pos - start) / rate) * 1000 - (performance.now() - began);
      if (ahead > 1) await sleep(ahead);
    }
  }
  res.end();
}

const { values } = parseArgs({
  options: { size: { type: "string" }, rate: { type: "string", default: "0" } },
});
const size = Number(values.size);
const rate = Number(values.rate);
if (!Number.isSafeInteger(size) || size <= 0 || !Number.isFinite(rate) || rate < 0) {
  console.error("usage: fileserver --size BYTES [--rate BYTES_PER_SECOND_PER_CONNECTION]");
  process.exit(2);
}
const block = makeBlock();
const server = http.createServer((req, res) => void serve(req, res, block, size, rate));
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
