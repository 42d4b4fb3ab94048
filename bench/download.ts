/**
 * Download figures: the studio's model downloader against curl, interleaved A/B over several rounds (the
 * order alternates each round), medians with min-max spread, each goal beside its figure. The file server
 * (bench/fileserver.ts) and the downloader (bench/download-child.ts) each run in a process of their own.
 *
 * (a) a server that limits each connection to 20 MB/s: downloader MB/s / curl MB/s, goal >= 3;
 * (b) unthrottled loopback, verified: (curl time + sha256sum time) / downloader-with-sha256 time, goal >= 1;
 * (c) CPU seconds (user + sys) per GB of the downloading process, goal: half of the previous downloader's;
 *     beside it the same downloader on its process's event loop (the way before download threads), A/B,
 *     and the floor: a bare socket-to-file loop in Node (bench/download-floor.ts) against curl, A/B.
 *
 * ```sh
 * npm run bench -- download
 * ```
 */
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import { servedSha256 } from "./served.js";
import { line, summary } from "./stats.js";

const ROUNDS = 5;
const MIB = 1024 * 1024;
const LOOPBACK_SIZE = 1024 * MIB;
const THROTTLED_SIZE = 128 * MIB;
const RATE = 20e6;
/** The single-stream downloader (commit c44e442) measured by this benchmark (512 MiB samples) on the 2-core development machine. */
const PREVIOUS_CPU_PER_GB = 1.76;
const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Sample {
  ms: number;
  cpuSeconds: number;
  /** The kernel's part of cpuSeconds (socket reads, page-cache writes). */
  sysSeconds: number;
}

interface Server {
  url: string;
  stop: () => void;
}

async function startServer(size: number, rate: number): Promise<Server> {
  const child = spawn(
    process.execPath,
    [path.join(HERE, "fileserver.js"), "--size", String(size), "--rate", String(rate)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the file server exited with ${code}`)));
    child.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  return { url: `http://127.0.0.1:${port}/bench.bin`, stop: () => child.kill() };
}

/** Time and CPU of a command from GNU time (`%e %U %S` on the last line of stderr). */
async function timed(command: string, args: string[]): Promise<Sample & { stdout: string }> {
  const result = await execa("/usr/bin/time", ["-f", "%e %U %S", command, ...args]);
  const [elapsed, user, sys] = (result.stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  return {
    ms: (elapsed ?? NaN) * 1000,
    cpuSeconds: (user ?? NaN) + (sys ?? NaN),
    sysSeconds: sys ?? NaN,
    stdout: result.stdout,
  };
}

/** The downloader in a thread (as the studio runs it), or `inLoop`: on its process's event loop. */
async function studio(url: string, size: number, sha?: string, inLoop = false): Promise<Sample> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-download-"));
  try {
    const args = [path.join(HERE, "download-child.js"), "--url", url, "--dir", dir];
    if (sha) args.push("--sha256", sha);
    if (inLoop) args.push("--in-loop");
    const result = await execa(process.execPath, args);
    const got = (await fs.stat(path.join(dir, "workspace", "bench.bin"))).size;
    if (got !== size) throw new Error(`the downloader wrote ${got} bytes, expected ${size}`);
    return JSON.parse(result.stdout) as Sample;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The bare socket-to-file loop (bench/download-floor.ts): the least any Node downloader can cost. */
async function floor(url: string, size: number): Promise<Sample> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-floor-"));
  try {
    const dest = path.join(dir, "bench.bin");
    const result = await execa(process.execPath, [
      path.join(HERE, "download-floor.js"),
      "--url",
      url,
      "--dest",
      dest,
    ]);
    if ((await fs.stat(dest)).size !== size) throw new Error("the floor loop wrote a short file");
    return JSON.parse(result.stdout) as Sample;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** curl, and when `hasher` is given, that hasher on the file afterwards (times added). */
async function curl(url: string, size: number, hasher?: { command: string; args: string[]; sha: string }) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-curl-"));
  const dest = path.join(dir, "bench.bin");
  try {
    const fetched = await timed("curl", ["-s", "-o", dest, url]);
    if ((await fs.stat(dest)).size !== size) throw new Error("curl wrote a short file");
    if (!hasher) return { ms: fetched.ms, cpuSeconds: fetched.cpuSeconds, sysSeconds: fetched.sysSeconds };
    const hashed = await timed(hasher.command, [...hasher.args, dest]);
    if (!hashed.stdout.includes(hasher.sha)) throw new Error(`${hasher.command} gave another digest`);
    return {
      ms: fetched.ms + hashed.ms,
      cpuSeconds: fetched.cpuSeconds + hashed.cpuSeconds,
      sysSeconds: fetched.sysSeconds + hashed.sysSeconds,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Runs `a` and `b` once per round, alternating which goes first. */
async function interleaved<T>(a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  const out = { a: [] as T[], b: [] as T[] };
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

function spread(values: number[], digits: number, unit: string): string {
  const s = summary(values);
  const f = (v: number) => v.toFixed(digits);
  return `${f(s.median)}${unit} (${f(s.min)}-${f(s.max)})`;
}

const seconds = (samples: Sample[]): string =>
  spread(
    samples.map((s) => s.ms / 1000),
    2,
    " s",
  );
const mbps = (size: number) => (s: Sample) => size / 1e6 / (s.ms / 1000);
const cpuPerGB = (size: number) => (s: Sample) => s.cpuSeconds / (size / 1e9);
const userPerGB = (size: number) => (s: Sample) => (s.cpuSeconds - s.sysSeconds) / (size / 1e9);
const sysPerGB = (size: number) => (s: Sample) => s.sysSeconds / (size / 1e9);

function goal(value: number, text: string, met: boolean): string {
  return `${text}: ${met ? "met" : "NOT met"} (median ${value.toFixed(2)})`;
}

export async function run(): Promise<void> {
  console.log(
    `download: ${ROUNDS} interleaved rounds; file server and downloader each in their own process; ` +
      `${LOOPBACK_SIZE / MIB} MiB a sample on loopback, ${THROTTLED_SIZE / MIB} MiB a sample at ${RATE / 1e6} MB/s per connection`,
  );
  const throttled = await startServer(THROTTLED_SIZE, RATE);
  try {
    const r = await interleaved(
      () => studio(throttled.url, THROTTLED_SIZE),
      () => curl(throttled.url, THROTTLED_SIZE),
    );
    const ratios = r.a.map((s, i) => mbps(THROTTLED_SIZE)(s) / mbps(THROTTLED_SIZE)(r.b[i]!));
    console.log(`  (a) ${RATE / 1e6} MB/s per connection`);
    line("downloader", spread(r.a.map(mbps(THROTTLED_SIZE)), 0, " MB/s"));
    line("curl -s -o", spread(r.b.map(mbps(THROTTLED_SIZE)), 0, " MB/s"));
    line("downloader / curl", spread(ratios, 2, "x"));
    line("", goal(summary(ratios).median, "goal >= 3x curl", summary(ratios).median >= 3));
  } finally {
    throttled.stop();
  }

  const sha = servedSha256(LOOPBACK_SIZE);
  const loopback = await startServer(LOOPBACK_SIZE, 0);
  try {
    const plain = await interleaved(
      () => studio(loopback.url, LOOPBACK_SIZE),
      () => curl(loopback.url, LOOPBACK_SIZE),
    );
    const verified = await interleaved(
      () => studio(loopback.url, LOOPBACK_SIZE, sha),
      () => curl(loopback.url, LOOPBACK_SIZE, { command: "sha256sum", args: [], sha }),
    );
    const openssl = await interleaved(
      () => studio(loopback.url, LOOPBACK_SIZE, sha),
      () => curl(loopback.url, LOOPBACK_SIZE, { command: "openssl", args: ["dgst", "-sha256", "-r"], sha }),
    );
    const plainRatio = plain.a.map((s, i) => plain.b[i]!.ms / s.ms);
    const verifiedRatio = verified.a.map((s, i) => verified.b[i]!.ms / s.ms);
    const opensslRatio = openssl.a.map((s, i) => openssl.b[i]!.ms / s.ms);
    console.log("  (b) unthrottled loopback");
    line("downloader", spread(plain.a.map(mbps(LOOPBACK_SIZE)), 0, " MB/s"));
    line("curl -s -o", spread(plain.b.map(mbps(LOOPBACK_SIZE)), 0, " MB/s"));
    line("downloader / curl (speed)", spread(plainRatio, 2, "x"));
    line("downloader + sha256", seconds(verified.a));
    line("curl, then sha256sum", seconds(verified.b));
    line("(curl + sha256sum) / downloader + sha256 (time)", spread(verifiedRatio, 2, "x"));
    line("", goal(summary(verifiedRatio).median, "goal >= 1.0", summary(verifiedRatio).median >= 1));
    line("curl, then openssl dgst -sha256 (reference)", seconds(openssl.b));
    line("(curl + openssl) / downloader + sha256 (time)", spread(opensslRatio, 2, "x"));

    const loop = await interleaved(
      () => studio(loopback.url, LOOPBACK_SIZE),
      () => studio(loopback.url, LOOPBACK_SIZE, undefined, true),
    );
    const bare = await interleaved(
      () => floor(loopback.url, LOOPBACK_SIZE),
      () => curl(loopback.url, LOOPBACK_SIZE),
    );
    console.log("  (c) CPU seconds (user + sys) per GB of the downloading process");
    const plainCpu = plain.a.map(cpuPerGB(LOOPBACK_SIZE));
    line("downloader", spread(plainCpu, 2, " s/GB"));
    const cpu = summary(plainCpu).median;
    line("", goal(cpu, "goal <= 0.45 s/GB (half of 0.9)", cpu <= 0.45));
    line(
      "",
      goal(
        cpu,
        `goal <= ${PREVIOUS_CPU_PER_GB / 2} s/GB (half of the previous downloader here)`,
        cpu <= PREVIOUS_CPU_PER_GB / 2,
      ),
    );
    line(
      "downloader + sha256",
      spread([...verified.a, ...openssl.a].map(cpuPerGB(LOOPBACK_SIZE)), 2, " s/GB"),
    );
    line("curl -s -o", spread(plain.b.map(cpuPerGB(LOOPBACK_SIZE)), 2, " s/GB"));
    const threadCpu = loop.a.map(cpuPerGB(LOOPBACK_SIZE));
    const loopCpu = loop.b.map(cpuPerGB(LOOPBACK_SIZE));
    line(
      "A/B: in a download thread / on the event loop",
      `${spread(threadCpu, 2, " s/GB")} / ${spread(loopCpu, 2, " s/GB")}`,
    );
    line(
      "  and speed, thread / event loop",
      `${spread(loop.a.map(mbps(LOOPBACK_SIZE)), 0, " MB/s")} / ${spread(loop.b.map(mbps(LOOPBACK_SIZE)), 0, " MB/s")}`,
    );
    line(
      "  of which the kernel's (sys): downloader / curl",
      `${spread(plain.a.map(sysPerGB(LOOPBACK_SIZE)), 2, " s/GB")} / ${spread(plain.b.map(sysPerGB(LOOPBACK_SIZE)), 2, " s/GB")}`,
    );
    line(
      "  and the process's own (user): downloader / curl",
      `${spread(plain.a.map(userPerGB(LOOPBACK_SIZE)), 2, " s/GB")} / ${spread(plain.b.map(userPerGB(LOOPBACK_SIZE)), 2, " s/GB")}`,
    );
    line("curl, then sha256sum", spread(verified.b.map(cpuPerGB(LOOPBACK_SIZE)), 2, " s/GB"));
    line(
      "the floor: a bare Node socket-to-file loop / curl",
      `${spread(bare.a.map(cpuPerGB(LOOPBACK_SIZE)), 2, " s/GB")} / ${spread(bare.b.map(cpuPerGB(LOOPBACK_SIZE)), 2, " s/GB")}`,
    );
  } finally {
    loopback.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
