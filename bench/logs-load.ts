/**
 * Log polling under load: the built studio runs as a child process, a stand-in tool writes numbered lines
 * as fast as it can, and 50 clients poll `/logs?source=lora-tool&cursor=` every 250 ms (at once again when
 * an answer was full), as open pages would. Meanwhile /healthz and /tools are asked every 100 ms.
 *
 * Every client checks what it gets: each answer's bytes against the log file at that offset (while the log
 * has not rotated), and the numbered lines in order, none twice, none torn. Figures: bytes and lines
 * written, answers, resets, lines missed, latencies, and the studio's memory (VmRSS) at start, middle, end.
 *
 * ```sh
 * npm run build && node dist/bench/run.js logs-load
 * ```
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { findRepoRoot, TOOL_PORT_VARIABLES } from "../server/config.js";
import { MAX_READ_BYTES } from "../server/logs/logfile.js";

export interface LoadOptions {
  /** How many polling clients. */
  clients?: number;
  /** The stand-in's mode, e.g. `noisy:30000` (write as fast as it can for 30 s). */
  mode?: string;
  /** The repository with the stand-in scripts (REPO_DIR); the test fixture repo by default. */
  repoDir?: string;
  /** Milliseconds between polls when an answer was not full. */
  pollMs?: number;
  /** LOG_MAX_BYTES for the studio (rotation size); the studio's default when unset. */
  logMaxBytes?: number;
  /** After the writer ends, how long clients may take to catch up before they give up. */
  catchUpMs?: number;
  /** Stop every client after this long, whatever happens. */
  deadlineMs?: number;
}

export interface ClientFigures {
  answers: number;
  fullAnswers: number;
  bytes: number;
  resets: number;
  /** Numbered lines received. */
  lines: number;
  /** Lines skipped over by a reset (the client fell behind a rotation). */
  missedByReset: number;
  /** Lines missing without a reset (lost in a rotation). */
  missedSilently: number;
  /** Answers whose bytes differ from the log file at that offset (checked while nothing rotated). */
  byteMismatches: number;
  /** Lines out of order, twice, or torn. */
  lineErrors: number;
  caughtUp: boolean;
  problems: string[];
}

export interface LoadResult {
  durationMs: number;
  linesWritten: number;
  bytesWritten: number;
  rotated: boolean;
  clients: ClientFigures[];
  side: { asked: number; failed: number; healthzMs: number[]; toolsMs: number[] };
  rss: { start: number; middle: number; end: number; peak: number };
  /** Lines lost between the end of `{log}.1` and the start of the log (the rotation's copy-truncate window). */
  lostAtLastRotation: number | null;
  studioOutput: string;
}

const LINE = /^line (\d{9}) x{50}$/;
const DONE = /(?:noisy|paced) done after (\d+) lines/;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function rss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function request(
  agent: http.Agent,
  port: number,
  method: string,
  url: string,
  cookie: string,
  body?: unknown,
): Promise<Answer & { headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: url,
        agent,
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            parsed = { unparsed: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes of `file` at [from, from + length), or null when the file is shorter. */
function bytesAt(file: string, from: number, length: number): Buffer | null {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, from + read);
      if (n === 0) break;
      read += n;
    }
    return read === length ? buffer : null;
  } finally {
    closeSync(fd);
  }
}

/** Kills every process started for `workspace` (the studio, the tool), found by its environment. */
function killEverythingOf(workspace: string): void {
  const marker = `WORKSPACE_DIR=${workspace}\0`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${entry}/environ`, "utf8")}\0`.includes(marker))
        process.kill(Number(entry), "SIGKILL");
    } catch {
      // gone, or not ours
    }
  }
}

export async function runLogsLoad(options: LoadOptions = {}): Promise<LoadResult> {
  const root = findRepoRoot();
  const main = path.join(root, "dist", "server", "main.js");
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const clients = options.clients ?? 50;
  const pollMs = options.pollMs ?? 250;
  const repoDir = options.repoDir ?? path.join(root, "test", "fixtures", "repo");
  const temp = mkdtempSync(path.join(os.tmpdir(), "logs-load-"));
  const workspace = path.join(temp, "workspace");
  const state = path.join(temp, "state");
  mkdirSync(path.join(workspace, ".standin"), { recursive: true });
  writeFileSync(path.join(workspace, ".standin", "lora-tool.mode"), options.mode ?? "noisy:30000");
  const usersFile = path.join(temp, "artist_names.sh");
  writeFileSync(usersFile, 'USERS=( "Rosa Macak Cizmesija" "Razvan Matei:admin" )\n');
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: temp,
    HOST: "127.0.0.1",
    PORT: String(port),
    WORKSPACE_DIR: workspace,
    STATE_DIR: state,
    USERS_FILE: usersFile,
    REPO_DIR: repoDir,
    STOP_GRACE_MS: "2000",
    LOG_LEVEL: "warn",
  };
  for (const variable of Object.values(TOOL_PORT_VARIABLES)) env[variable] = String(await freePort());
  if (options.logMaxBytes !== undefined) env.LOG_MAX_BYTES = String(options.logMaxBytes);
  const toolLog = path.join(state, "logs", "lora-tool.log");

  let output = "";
  const studio: ChildProcess = spawn(process.execPath, [main], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (text: string) => {
    output = (output + text).slice(-64 * 1024);
  };
  studio.stdout!.setEncoding("utf8").on("data", keep);
  studio.stderr!.setEncoding("utf8").on("data", keep);
  const exited = new Promise<void>((resolve) => studio.once("exit", () => resolve()));
  const pid = studio.pid!;
  const control = new http.Agent({ keepAlive: true, maxSockets: 4 });

  try {
    const up = Date.now() + 20_000;
    for (;;) {
      const ok = await request(control, port, "GET", "/healthz", "").then(
        (a) => a.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > up || studio.exitCode !== null)
        throw new Error(`the studio did not come up:\n${output}`);
      await sleep(50);
    }
    const rssStart = rss(pid);
    const picked = await request(control, port, "POST", "/set_artist", "", {
      artist: "Rosa Macak Cizmesija",
    });
    const cookie = String(picked.headers["set-cookie"] ?? "").split(";")[0] ?? "";
    const started = await request(control, port, "POST", "/start_session", cookie, { tool_id: "lora-tool" });
    if (started.status !== 202 && started.status !== 200)
      throw new Error(`the tool did not start: ${JSON.stringify(started.body)}`);

    const began = Date.now();
    const deadline = began + (options.deadlineMs ?? 120_000);
    let writerDone = false;
    let linesWritten = -1;
    let rssMiddle = 0;
    let rssPeak = rssStart;
    let stopSide = false;
    let rotated = false;

    // The writer's end, seen in the log file itself (its last line says how many lines it wrote).
    const watcher = (async () => {
      while (!writerDone && Date.now() < deadline) {
        await sleep(100);
        rssPeak = Math.max(rssPeak, rss(pid));
        if (existsSync(`${toolLog}.1`)) rotated = true;
        try {
          const size = statSync(toolLog).size;
          const tail = bytesAt(toolLog, Math.max(0, size - 4096), Math.min(size, 4096));
          const match = tail ? DONE.exec(tail.toString("utf8")) : null;
          if (match) {
            linesWritten = Number(match[1]);
            writerDone = true;
          }
        } catch {
          // not there yet
        }
      }
    })();

    const side = { asked: 0, failed: 0, healthzMs: [] as number[], toolsMs: [] as number[] };
    const sideLoop = (async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (!stopSide) {
        for (const [url, into] of [
          ["/healthz", side.healthzMs],
          ["/tools", side.toolsMs],
        ] as const) {
          const t0 = performance.now();
          const answer = await request(agent, port, "GET", url, cookie).catch(() => null);
          side.asked++;
          if (!answer || answer.status !== 200 || answer.body.success !== true) side.failed++;
          else into.push(performance.now() - t0);
        }
        await sleep(100);
      }
      agent.destroy();
    })();

    const client = async (): Promise<ClientFigures> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const figures: ClientFigures = {
        answers: 0,
        fullAnswers: 0,
        bytes: 0,
        resets: 0,
        lines: 0,
        missedByReset: 0,
        missedSilently: 0,
        byteMismatches: 0,
        lineErrors: 0,
        caughtUp: false,
        problems: [],
      };
      const problem = (text: string) => {
        if (figures.problems.length < 10) figures.problems.push(text);
      };
      let cursor = 0;
      let carry = "";
      let next: number | null = 0;
      let caughtUpAt: number | null = null;
      let sawDone = false;
      try {
        while (Date.now() < deadline) {
          const answer = await request(agent, port, "GET", `/logs?source=lora-tool&cursor=${cursor}`, cookie);
          figures.answers++;
          if (answer.status !== 200) {
            problem(`answer ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
            await sleep(pollMs);
            continue;
          }
          let content = typeof answer.body.content === "string" ? answer.body.content : "";
          const newCursor = Number(answer.body.cursor);
          const bytes = Buffer.byteLength(content);
          if (answer.body.reset === true) {
            figures.resets++;
            // A restart begins at the oldest byte held, maybe inside a line: skip to the next one.
            content = content.slice(content.indexOf("\n") + 1);
            carry = "";
            next = null;
          } else {
            if (newCursor - cursor !== bytes)
              problem(`cursor moved ${newCursor - cursor} for ${bytes} bytes`);
            if (!rotated && bytes > 0 && !existsSync(`${toolLog}.1`)) {
              const expected = bytesAt(toolLog, cursor, bytes);
              if (!expected || !expected.equals(Buffer.from(content))) {
                // A rotation that began after the check above moved the file's bytes: nothing to compare.
                await sleep(300);
                if (existsSync(`${toolLog}.1`)) rotated = true;
                else {
                  figures.byteMismatches++;
                  problem(`bytes at ${cursor} differ from the log file`);
                }
              }
            }
          }
          figures.bytes += bytes;
          const lines = (carry + content).split("\n");
          carry = lines.pop() ?? "";
          for (const line of lines) {
            const match = LINE.exec(line);
            if (!match) {
              if (/line \d/.test(line)) {
                figures.lineErrors++;
                problem(`a torn line: ${line.slice(0, 80)}`);
              }
              if (DONE.test(line)) sawDone = true;
              continue;
            }
            const n = Number(match[1]);
            figures.lines++;
            if (next !== null && n > next) {
              figures.missedSilently += n - next;
            } else if (next !== null && n < next) {
              figures.lineErrors++;
              problem(`line ${n} after line ${next - 1}`);
            }
            next = n + 1;
          }
          const full = newCursor - cursor >= MAX_READ_BYTES - 3;
          if (full) figures.fullAnswers++;
          cursor = newCursor;
          if (sawDone && bytes === 0) {
            figures.caughtUp = true;
            break;
          }
          if (writerDone && !full) {
            caughtUpAt ??= Date.now();
            if (Date.now() - caughtUpAt > (options.catchUpMs ?? 60_000)) break;
          }
          if (!full) await sleep(pollMs);
        }
      } catch (error) {
        problem(`request failed: ${(error as Error).message}`);
      } finally {
        agent.destroy();
      }
      return figures;
    };

    const all = Array.from({ length: clients }, () => client());
    // The middle of the run: halfway through the writer's time (the first number of its mode).
    const writeMs = Number(/:(\d+)/.exec(options.mode ?? "noisy:30000")?.[1] ?? 0);
    const halfway = sleep(writeMs / 2).then(() => (rssMiddle = rss(pid)));
    const figures = await Promise.all(all);
    stopSide = true;
    await Promise.all([sideLoop, watcher, halfway]);
    const rssEnd = rss(pid);
    rssPeak = Math.max(rssPeak, rssEnd);
    // How many lines each client missed because of resets: those it never got.
    for (const f of figures) {
      if (f.resets > 0 && linesWritten >= 0)
        f.missedByReset = Math.max(0, linesWritten - f.lines - f.missedSilently);
    }
    const bytesWritten = await (async () => {
      const answer = await request(control, port, "GET", "/logs?source=lora-tool", cookie);
      return Number(answer.body.cursor ?? 0);
    })();
    await request(control, port, "POST", "/stop_session", cookie, { tool_id: "lora-tool" }).catch(
      () => undefined,
    );
    let lostAtLastRotation: number | null = null;
    if (existsSync(`${toolLog}.1`)) {
      const size = statSync(`${toolLog}.1`).size;
      const tail =
        bytesAt(`${toolLog}.1`, Math.max(0, size - 8192), Math.min(size, 8192))?.toString("utf8") ?? "";
      const head = bytesAt(toolLog, 0, Math.min(statSync(toolLog).size, 8192))?.toString("utf8") ?? "";
      // A line may be split between the two files: read them as one text.
      const numbers = (tail + head)
        .split("\n")
        .map((line) => LINE.exec(line))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]));
      lostAtLastRotation = numbers
        .slice(1)
        .reduce((lost, n, i) => lost + Math.max(0, n - numbers[i]! - 1), 0);
    }
    return {
      durationMs: Date.now() - began,
      linesWritten,
      bytesWritten,
      rotated: rotated || existsSync(`${toolLog}.1`),
      clients: figures,
      side,
      rss: { start: rssStart, middle: rssMiddle, end: rssEnd, peak: rssPeak },
      lostAtLastRotation,
      studioOutput: output,
    };
  } finally {
    control.destroy();
    if (studio.exitCode === null) studio.kill("SIGTERM");
    await Promise.race([exited, sleep(6_000)]);
    killEverythingOf(workspace);
    rmSync(temp, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
function pct(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export function printLoad(title: string, result: LoadResult): void {
  const show = (label: string, value: string) => console.log(`  ${label.padEnd(52)} ${value}`);
  const c = result.clients;
  const seconds = result.durationMs / 1000;
  console.log(`  ${title}`);
  show("run time", `${seconds.toFixed(1)} s`);
  show(
    "lines / bytes written by the tool",
    `${result.linesWritten} / ${mb(result.bytesWritten)} (${mb(result.bytesWritten / seconds)}/s)`,
  );
  show("log rotated during the run", result.rotated ? "yes" : "no");
  show("clients", String(c.length));
  show(
    "clients that got every line, in order, once",
    String(
      c.filter(
        (f) =>
          f.caughtUp &&
          f.resets === 0 &&
          f.missedSilently === 0 &&
          f.lineErrors === 0 &&
          f.lines === result.linesWritten,
      ).length,
    ),
  );
  show(
    "answers / of them full (256 KiB)",
    `${sum(c.map((f) => f.answers))} / ${sum(c.map((f) => f.fullAnswers))}`,
  );
  show(
    "bytes served to all clients",
    `${mb(sum(c.map((f) => f.bytes)))} (${mb(sum(c.map((f) => f.bytes)) / seconds)}/s)`,
  );
  show(
    "clients reset (fell behind a rotation)",
    `${c.filter((f) => f.resets > 0).length} (${sum(c.map((f) => f.resets))} resets)`,
  );
  show(
    "lines skipped by resets, per client (mean)",
    (sum(c.map((f) => f.missedByReset)) / Math.max(1, c.length)).toFixed(0),
  );
  show("lines a client missed without a reset (all clients)", String(sum(c.map((f) => f.missedSilently))));
  show(
    "lines lost at the last rotation (copy-truncate window)",
    result.lostAtLastRotation === null ? "no rotation" : String(result.lostAtLastRotation),
  );
  show(
    "answers that differ from the file / bad lines",
    `${sum(c.map((f) => f.byteMismatches))} / ${sum(c.map((f) => f.lineErrors))}`,
  );
  show("/healthz and /tools asked / failed", `${result.side.asked} / ${result.side.failed}`);
  show(
    "/healthz median / p90 / max",
    `${pct(result.side.healthzMs, 0.5).toFixed(1)} / ${pct(result.side.healthzMs, 0.9).toFixed(1)} / ${Math.max(...result.side.healthzMs, 0).toFixed(1)} ms`,
  );
  show(
    "/tools median / p90 / max",
    `${pct(result.side.toolsMs, 0.5).toFixed(1)} / ${pct(result.side.toolsMs, 0.9).toFixed(1)} / ${Math.max(...result.side.toolsMs, 0).toFixed(1)} ms`,
  );
  show(
    "studio RSS start / middle / end / peak",
    `${mb(result.rss.start)} / ${mb(result.rss.middle)} / ${mb(result.rss.end)} / ${mb(result.rss.peak)}`,
  );
  show("studio RSS end / start", `${(result.rss.end / result.rss.start).toFixed(2)}x`);
  const problems = c.flatMap((f) => f.problems).slice(0, 5);
  if (problems.length > 0) show("first problems", problems.join(" | "));
}

export async function run(): Promise<void> {
  const clients = Number(process.env.LOGS_LOAD_CLIENTS ?? 50);
  const seconds = Number(process.env.LOGS_LOAD_SECONDS ?? 30);
  // At full speed with the studio's default rotation size (32 MiB): what a pod sees with a chatty tool.
  printLoad(
    `${clients} clients, the stand-in writing as fast as it can for ${seconds} s, default LOG_MAX_BYTES`,
    await runLogsLoad({
      clients,
      mode: `noisy:${seconds * 1000}`,
      catchUpMs: 15_000,
      deadlineMs: seconds * 1000 + 60_000,
    }),
  );
  // A short burst at full speed with a rotation size no client can fall behind of: does every client get
  // every byte, and how long do 50 clients take to read what one tool wrote in a few seconds?
  const burst = Math.max(1, Math.round(seconds / 10));
  printLoad(
    `${clients} clients, as fast as it can for ${burst} s, LOG_MAX_BYTES 4 GiB (no rotation)`,
    await runLogsLoad({
      clients,
      mode: `noisy:${burst * 1000}`,
      logMaxBytes: 4 * 1024 ** 3,
      catchUpMs: 90_000,
      deadlineMs: 150_000,
    }),
  );
}
