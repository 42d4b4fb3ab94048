/**
 * The resumable model downloader. It runs in-process (no curl, so a token is never in a process's
 * arguments), streams each file to `DEST.part` with backpressure, resumes a `.part` with a Range request,
 * verifies the SHA-256 when the manifest gives one, then renames the `.part` to DEST.
 *
 * ```ts
 * const controller = new AbortController();
 * await downloadSets(selectedSets, {
 *   workspaceDir, stateDir,
 *   tokens: { hf: body.hf_token ?? config.secrets.hfToken, civitai: body.civit_token ?? config.secrets.civitaiToken },
 *   signal: controller.signal,
 *   log: (line) => jobLog.write(line + "\n"),
 *   onProgress: (p) => progress.set(p.id, p),
 * }); // rejects with DownloadError (some files failed) or an AbortError (cancelled; .part files are kept)
 * ```
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import {
  DEFAULT_TOKEN_HOSTS,
  HttpStatusError,
  TOKEN_NAMES,
  openUrl,
  retryAfterMs,
  statusError,
  watchIdle,
  type TokenKind,
  type Tokens,
} from "./http.js";
import { isInside, urlProblem } from "./manifest.js";
import { SizeCache } from "./sizeCache.js";

export type { TokenKind, Tokens } from "./http.js";

/** A file to download. `relDest` names it in the log (defaults to DEST relative to the workspace). */
export interface DownloadItem {
  url: string;
  /** Absolute path under the workspace. */
  dest: string;
  relDest?: string;
  sha256?: string;
}

/** A group of files whose progress is reported together (a model set). */
export interface DownloadGroup {
  id: string;
  name: string;
  files: DownloadItem[];
}

/** Aggregate progress of one set, for a progress bar. */
export interface DownloadProgress {
  id: string;
  name: string;
  /** Bytes on disk for the set's files (complete files, `.part` files and what is arriving). */
  doneBytes: number;
  /** Sum of the sizes known for the set's files (a file of unknown size counts what has arrived). */
  totalBytes: number;
  /** Files complete (downloaded now or already there). */
  filesDone: number;
  filesFailed: number;
  filesTotal: number;
  /** Recent speed over the set's files. */
  bytesPerSecond: number;
  /** True on the last report for the set. */
  finished: boolean;
}

export interface DownloadOptions {
  /** The workspace; every DEST must lie inside it, and its disk is the one checked for space. */
  workspaceDir: string;
  /** The studio's state folder; the size cache is `{stateDir}/models/sizes.json`. */
  stateDir: string;
  /** Hugging Face and Civitai tokens; each goes only to its own host, as `Authorization: Bearer`. */
  tokens: Tokens;
  /** Cancels the run: requests stop at once, `.part` files are kept, the promise rejects with an AbortError. */
  signal: AbortSignal;
  /** One line of the job log at a time (no trailing newline). Never receives a token. */
  log: (line: string) => void;
  /** Aggregate progress per set, at most every `progressIntervalMs`, and a last report per set. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Files downloaded at the same time (default 3). */
  concurrency?: number;
  /** Extra tries after a network error, a dropped connection, 408/429 or 5xx (default 5). 4xx is not retried. */
  retries?: number;
  /** First back-off; it doubles on each retry up to 30 s (default 1000 ms). */
  retryBaseMs?: number;
  /** Which token goes to which host or `host:port` (default huggingface.co -> hf, civitai.com -> civitai). */
  tokenHosts?: Readonly<Record<string, TokenKind>>;
  /** Free bytes on the disk holding `dir` (default: `fs.statfs`). */
  freeSpace?: (dir: string) => Promise<number>;
  /** Least time between two progress lines of one file in the log (default 2000 ms). */
  logIntervalMs?: number;
  /** Least time between two `onProgress` reports of one set (default 500 ms). */
  progressIntervalMs?: number;
  /** A connection that brings no byte for this long is dropped and retried (default 60 s). */
  idleTimeoutMs?: number;
}

/** What a finished run did. */
export interface DownloadSummary {
  /** Distinct files in the run. */
  files: number;
  /** Files fetched in this run. */
  downloaded: number;
  /** Files that were already complete. */
  skipped: number;
  /** Bytes received in this run. */
  bytesReceived: number;
}

/**
 * Some files could not be downloaded; `failures` lists them. The others were downloaded.
 *
 * ```ts
 * catch (e) { if (e instanceof DownloadError) for (const f of e.failures) console.log(f.relDest, f.message); }
 * ```
 */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly failures: { relDest: string; url: string; message: string }[],
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** The run was cancelled through its signal; `.part` files are kept and the next run resumes them. Test it with `isAbortError(e)`. */
export class DownloadAbortError extends Error {
  readonly code = "ABORT_ERR";
  constructor() {
    super("The download was cancelled; partial files are kept and the next run resumes them.");
    this.name = "AbortError";
  }
}

/** The files will not fit on the workspace's disk; nothing was downloaded. Example message: `... needs 22.4 GB, 10.1 GB free`. */
export class NotEnoughSpaceError extends Error {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
    readonly dir: string,
  ) {
    super(
      `Not enough disk space on ${dir}: the download needs ${formatGB(neededBytes)}, ${formatGB(freeBytes)} free. ` +
        `Free some space or choose fewer model sets.`,
    );
    this.name = "NotEnoughSpaceError";
  }
}

/** Whether `error` is the rejection of a cancelled run. Example: `job.status = isAbortError(e) ? "cancelled" : "failed"`. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/** Bytes as gigabytes for a person. Example: `formatGB(17_246_524_772) // "17.2 GB"`, `formatGB(5e7) // "0.05 GB"`. */
export function formatGB(bytes: number): string {
  const gb = bytes / 1e9;
  return `${gb.toFixed(gb < 10 ? 2 : 1)} GB`;
}

/** Bytes in the largest fitting unit. Example: `formatBytes(3_400_000) // "3.4 MB"`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Bytes per second over the last few seconds. */
class SpeedMeter {
  private total = 0;
  private readonly points: { t: number; total: number }[] = [{ t: Date.now(), total: 0 }];

  constructor(private readonly windowMs = 5000) {}

  add(bytes: number): void {
    this.total += bytes;
    const now = Date.now();
    const last = this.points[this.points.length - 1];
    if (!last || now - last.t >= 200) this.points.push({ t: now, total: this.total });
    while (this.points.length > 2 && now - (this.points[1]?.t ?? now) > this.windowMs) this.points.shift();
  }

  rate(): number {
    const first = this.points[0];
    if (!first) return 0;
    const elapsed = (Date.now() - first.t) / 1000;
    return elapsed > 0.05 ? (this.total - first.total) / elapsed : 0;
  }
}

/** A failure that no retry can mend (4xx, checksum mismatch, a DEST outside the workspace). */
class FileFailure extends Error {}

/** Start over at once without spending a retry (the `.part` did not match the server's file). */
class StartOver extends Error {}

interface Task {
  url: string;
  dest: string;
  part: string;
  relDest: string;
  sha256?: string;
  groups: GroupState[];
  size?: number;
  /** Bytes on disk: the `.part` so far, or the whole file once complete. */
  done: number;
  state: "pending" | "running" | "skipped" | "done" | "failed";
  error?: string;
  hash?: Hash;
  hashedBytes: number;
  meter: SpeedMeter;
  lastLog: number;
  startedAt: number;
  received: number;
}

interface GroupState {
  id: string;
  name: string;
  tasks: Task[];
  meter: SpeedMeter;
  lastEmit: number;
  finished: boolean;
}

function parseContentRange(
  value: string | undefined,
): { start: number; end?: number; total?: number } | null {
  if (!value) return null;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (!m) return null;
  const total = m[3] === "*" || m[3] === undefined ? undefined : Number(m[3]);
  if (m[1] === undefined) return { start: -1, total };
  return { start: Number(m[1]), end: Number(m[2]), total };
}

function contentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

async function sizeOnDisk(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

async function defaultFreeSpace(dir: string): Promise<number> {
  const stat = await fs.statfs(dir);
  return Number(stat.bavail) * Number(stat.bsize);
}

async function nearestExistingDir(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      if ((await fs.stat(current)).isDirectory()) return current;
    } catch {
      // keep walking up
    }
    const parent = path.dirname(current);
    if (parent === current) return current;
    current = parent;
  }
}

function checkToken(kind: TokenKind, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const trimmed = token.trim();
  if (trimmed === "") return undefined;
  if (!/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new Error(
      `The ${TOKEN_NAMES[kind]} token contains characters a token cannot have (spaces or symbols).`,
    );
  }
  return trimmed;
}

/**
 * Downloads every file of the given sets (a file shared by several sets is fetched once), a few at a time.
 * Before it starts it learns the sizes (size cache, HEAD, or a one-byte Range GET) and refuses when the rest
 * will not fit on the workspace's disk. Resolves when every file is complete; rejects with a `DownloadError`
 * naming the failed files after trying all of them, or with an AbortError when cancelled.
 *
 * ```ts
 * const summary = await downloadSets(sets.filter((s) => wanted.includes(s.id)), {
 *   workspaceDir, stateDir, tokens: { hf: hfToken }, signal, log: (line) => out.write(line + "\n"),
 * });
 * console.log(`${summary.downloaded} downloaded, ${summary.skipped} already there`);
 * ```
 */
export async function downloadSets(
  sets: readonly DownloadGroup[],
  options: DownloadOptions,
): Promise<DownloadSummary> {
  const signal = options.signal;
  if (signal.aborted) throw new DownloadAbortError();

  const tokens: Tokens = {
    hf: checkToken("hf", options.tokens.hf),
    civitai: checkToken("civitai", options.tokens.civitai),
  };
  const secrets = [tokens.hf, tokens.civitai].filter((t): t is string => t !== undefined);
  const redact = (text: string): string =>
    secrets.reduce((out, secret) => out.split(secret).join("[token]"), text);
  const log = (line: string): void => {
    try {
      options.log(redact(line));
    } catch {
      // a broken log sink must not stop the download
    }
  };

  const workspaceDir = path.resolve(options.workspaceDir);
  const tokenHosts = options.tokenHosts ?? DEFAULT_TOKEN_HOSTS;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 3));
  const retries = Math.max(0, Math.floor(options.retries ?? 5));
  const retryBaseMs = Math.max(0, options.retryBaseMs ?? 1000);
  const logIntervalMs = options.logIntervalMs ?? 2000;
  const progressIntervalMs = options.progressIntervalMs ?? 500;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const freeSpace = options.freeSpace ?? defaultFreeSpace;
  const cache = await SizeCache.open(options.stateDir);
  let cacheWarned = false;
  const remember = async (url: string, bytes: number): Promise<void> => {
    try {
      await cache.set(url, bytes);
    } catch (error) {
      if (!cacheWarned) log(`Note: cannot save the size cache: ${(error as Error).message}`);
      cacheWarned = true;
    }
  };

  // Tasks, one per distinct DEST.
  const groups: GroupState[] = [];
  const tasks = new Map<string, Task>();
  for (const set of sets) {
    const group: GroupState = {
      id: set.id,
      name: set.name,
      tasks: [],
      meter: new SpeedMeter(),
      lastEmit: 0,
      finished: false,
    };
    groups.push(group);
    for (const file of set.files) {
      const dest = path.resolve(file.dest);
      const existing = tasks.get(dest);
      if (existing) {
        if (existing.url !== file.url) {
          log(`${existing.relDest} is listed with two URLs; using ${existing.url}`);
        }
        if (!existing.groups.includes(group)) existing.groups.push(group);
        if (!group.tasks.includes(existing)) group.tasks.push(existing);
        continue;
      }
      const relDest = file.relDest ?? path.relative(workspaceDir, dest).split(path.sep).join("/");
      const task: Task = {
        url: file.url,
        dest,
        part: `${dest}.part`,
        relDest,
        sha256: file.sha256?.toLowerCase(),
        groups: [group],
        size: cache.get(file.url),
        done: 0,
        state: "pending",
        hashedBytes: 0,
        meter: new SpeedMeter(),
        lastLog: 0,
        startedAt: 0,
        received: 0,
      };
      tasks.set(dest, task);
      group.tasks.push(task);
    }
  }
  const all = [...tasks.values()];

  const fail = (task: Task, message: string): void => {
    task.state = "failed";
    task.error = redact(message);
    log(`FAILED ${task.relDest}: ${task.error}`);
    for (const group of task.groups) emit(group, true);
  };

  function groupProgress(group: GroupState): DownloadProgress {
    let doneBytes = 0;
    let totalBytes = 0;
    let filesDone = 0;
    let filesFailed = 0;
    for (const task of group.tasks) {
      const complete = task.state === "done" || task.state === "skipped";
      doneBytes += complete ? (task.size ?? task.done) : task.done;
      totalBytes += task.size ?? task.done;
      if (complete) filesDone++;
      if (task.state === "failed") filesFailed++;
    }
    return {
      id: group.id,
      name: group.name,
      doneBytes,
      totalBytes,
      filesDone,
      filesFailed,
      filesTotal: group.tasks.length,
      bytesPerSecond: Math.round(group.meter.rate()),
      finished: group.finished,
    };
  }

  function emit(group: GroupState, force = false): void {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - group.lastEmit < progressIntervalMs) return;
    group.lastEmit = now;
    try {
      options.onProgress(groupProgress(group));
    } catch {
      // a broken progress sink must not stop the download
    }
  }

  function logProgress(task: Task): void {
    const rate = task.meter.rate();
    const size = task.size;
    const parts = [`${task.relDest}:`];
    if (size !== undefined && size > 0) {
      parts.push(
        `${((task.done / size) * 100).toFixed(1)}%`,
        `${formatBytes(task.done)} / ${formatBytes(size)}`,
      );
    } else {
      parts.push(formatBytes(task.done));
    }
    if (rate > 0) parts.push(`${formatBytes(rate)}/s`);
    if (size !== undefined && rate > 0) parts.push(`${formatDuration((size - task.done) / rate)} left`);
    log(parts.join("  "));
  }

  function onBytes(task: Task, bytes: number): void {
    task.done += bytes;
    task.received += bytes;
    task.meter.add(bytes);
    for (const group of task.groups) {
      group.meter.add(bytes);
      emit(group);
    }
    const now = Date.now();
    if (now - task.lastLog >= logIntervalMs) {
      task.lastLog = now;
      logProgress(task);
    }
  }

  // 1. What is already there.
  for (const task of all) {
    if (!isInside(workspaceDir, task.dest)) {
      fail(task, `DEST ${task.dest} is outside the workspace ${workspaceDir}`);
      continue;
    }
    const badUrl = urlProblem(task.url);
    if (badUrl) {
      task.url = "(URL not shown)";
      fail(task, badUrl);
      continue;
    }
    const onDisk = await sizeOnDisk(task.dest);
    if (onDisk !== undefined && (task.size === undefined || task.size === onDisk)) {
      task.state = "skipped";
      task.done = onDisk;
      if (task.size === undefined) {
        task.size = onDisk;
        await remember(task.url, onDisk);
      }
      if ((await sizeOnDisk(task.part)) !== undefined) await fs.rm(task.part, { force: true });
      continue;
    }
    if (onDisk !== undefined) {
      log(
        `${task.relDest} is ${formatBytes(onDisk)} on disk but the file is ${formatBytes(task.size ?? 0)}; downloading it again`,
      );
    }
    task.done = (await sizeOnDisk(task.part)) ?? 0;
  }
  for (const group of groups) {
    const skipped = group.tasks.filter((t) => t.state === "skipped").length;
    log(
      `Model set "${group.name}" (${group.id}): ${group.tasks.length} file${group.tasks.length === 1 ? "" : "s"}` +
        (skipped > 0 ? `, ${skipped} already complete` : ""),
    );
  }

  const limit = pLimit(concurrency);
  const pending = (): Task[] => all.filter((t) => t.state === "pending");

  // 2. Learn the sizes that are not known yet.
  async function probeSize(task: Task): Promise<void> {
    const start = new URL(task.url);
    const common = { tokens, tokenHosts, signal, idleTimeoutMs } as const;
    try {
      const head = await openUrl(task.url, { ...common, method: "HEAD", stopOnLinkedSize: true });
      head.res.resume();
      const status = head.res.statusCode ?? 0;
      const length = status === 200 ? contentLength(head.res.headers["content-length"]) : undefined;
      const size = head.linkedSize ?? length;
      if (size !== undefined) {
        task.size = size;
        await remember(task.url, size);
        return;
      }
      if (status >= 400 && head.url.href === start.href && status !== 405 && status !== 501) {
        const error = statusError(status, head.url, start, tokens, tokenHosts);
        if (!error.retryable) throw new FileFailure(error.message);
      }
      const probe = await openUrl(task.url, { ...common, method: "GET", headers: { Range: "bytes=0-0" } });
      probe.res.destroy();
      const probeStatus = probe.res.statusCode ?? 0;
      const total =
        probeStatus === 206
          ? parseContentRange(probe.res.headers["content-range"])?.total
          : probeStatus === 200
            ? contentLength(probe.res.headers["content-length"])
            : undefined;
      if (total !== undefined) {
        task.size = total;
        await remember(task.url, total);
        return;
      }
      if (probeStatus >= 400) {
        const error = statusError(probeStatus, probe.url, start, tokens, tokenHosts);
        if (!error.retryable && probe.url.href === start.href) throw new FileFailure(error.message);
      }
    } catch (error) {
      if (signal.aborted) throw new DownloadAbortError();
      if (error instanceof FileFailure) throw error;
      // A network problem here is retried by the download itself; the size stays unknown.
    }
  }

  const unknown = pending().filter((t) => t.size === undefined);
  if (unknown.length > 0) {
    log(`Checking the size of ${unknown.length} file${unknown.length === 1 ? "" : "s"}...`);
    await Promise.all(
      unknown.map((task) =>
        limit(async () => {
          if (signal.aborted) return;
          try {
            await probeSize(task);
          } catch (error) {
            if (error instanceof FileFailure) fail(task, `${error.message} (${task.url})`);
          }
        }),
      ),
    );
    if (signal.aborted) throw new DownloadAbortError();
  }

  // 3. Disk space for what remains.
  for (const task of pending()) {
    if (task.size !== undefined && task.done > task.size) {
      log(`${task.relDest}.part is larger than the file; starting it over`);
      await fs.rm(task.part, { force: true });
      task.done = 0;
    }
  }
  const toFetch = pending();
  const needed = toFetch.reduce((sum, t) => sum + (t.size !== undefined ? t.size - t.done : 0), 0);
  const unknownSizes = toFetch.filter((t) => t.size === undefined).length;
  if (toFetch.length > 0) {
    const spaceDir = await nearestExistingDir(workspaceDir);
    let free: number | undefined;
    try {
      free = await freeSpace(spaceDir);
    } catch (error) {
      log(`Note: cannot tell the free space on ${spaceDir}: ${(error as Error).message}`);
    }
    if (free !== undefined) {
      log(
        `Disk: needs ${formatGB(needed)}, ${formatGB(free)} free on ${spaceDir}` +
          (unknownSizes > 0
            ? ` (${unknownSizes} file${unknownSizes === 1 ? "" : "s"} of unknown size not counted)`
            : ""),
      );
      if (needed > free) {
        const error = new NotEnoughSpaceError(needed, free, spaceDir);
        log(error.message);
        throw error;
      }
    }
  }
  for (const group of groups) emit(group, true);

  // 4. Download.
  async function hashPrefix(task: Task, bytes: number): Promise<void> {
    const hash = createHash("sha256");
    if (bytes > 0) {
      await pipeline(
        createReadStream(task.part, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 }),
        async (source) => {
          for await (const chunk of source) hash.update(chunk as Buffer);
        },
        { signal },
      );
    }
    task.hash = hash;
    task.hashedBytes = bytes;
  }

  async function finish(task: Task): Promise<void> {
    const size = (await sizeOnDisk(task.part)) ?? 0;
    if (task.sha256) {
      if (!task.hash || task.hashedBytes !== size) await hashPrefix(task, size);
      const digest = task.hash?.digest("hex");
      task.hash = undefined;
      task.hashedBytes = 0;
      if (digest !== task.sha256) {
        await fs.rm(task.part, { force: true });
        task.done = 0;
        throw new FileFailure(
          `checksum mismatch: expected sha256 ${task.sha256}, got ${digest}; the download was deleted (${task.url})`,
        );
      }
    }
    await fs.rename(task.part, task.dest);
    task.size = size;
    task.done = size;
    task.state = "done";
    await remember(task.url, size);
    const seconds = (Date.now() - task.startedAt) / 1000;
    const rate = seconds > 0 ? task.received / seconds : 0;
    log(
      `Done ${task.relDest}: ${formatBytes(size)}` +
        (task.received > 0
          ? ` (${formatBytes(task.received)} in ${formatDuration(seconds)}, ${formatBytes(rate)}/s)`
          : "") +
        (task.sha256 ? ", checksum OK" : ""),
    );
    for (const group of task.groups) emit(group, true);
  }

  async function attempt(task: Task): Promise<void> {
    let partSize = (await sizeOnDisk(task.part)) ?? 0;
    if (task.size !== undefined && partSize > task.size) {
      await fs.rm(task.part, { force: true });
      partSize = 0;
    }
    task.done = partSize;
    if (task.size !== undefined && partSize === task.size && partSize > 0) return await finish(task);
    if (task.sha256 && (!task.hash || task.hashedBytes !== partSize)) await hashPrefix(task, partSize);

    const start = new URL(task.url);
    const headers: Record<string, string> = partSize > 0 ? { Range: `bytes=${partSize}-` } : {};
    const { res, url } = await openUrl(task.url, {
      method: "GET",
      headers,
      tokens,
      tokenHosts,
      signal,
      idleTimeoutMs,
    });
    const status = res.statusCode ?? 0;
    let append: boolean;
    if (status === 206) {
      const range = parseContentRange(res.headers["content-range"]);
      if (!range || range.start !== partSize) {
        res.destroy();
        await fs.rm(task.part, { force: true });
        task.hash = undefined;
        task.hashedBytes = 0;
        throw new StartOver(
          `the server answered another byte range than asked; starting ${task.relDest} over`,
        );
      }
      if (partSize > 0 && range.total !== undefined && task.size !== undefined && range.total !== task.size) {
        res.destroy();
        await fs.rm(task.part, { force: true });
        task.size = range.total;
        await remember(task.url, range.total);
        task.hash = undefined;
        task.hashedBytes = 0;
        throw new StartOver(`the file on the server changed size; starting ${task.relDest} over`);
      }
      if (range.total !== undefined && range.total !== task.size) {
        task.size = range.total;
        await remember(task.url, range.total);
      }
      append = true;
      if (partSize > 0) log(`Resuming ${task.relDest} at ${formatBytes(partSize)}`);
    } else if (status === 200) {
      if (partSize > 0) log(`The server does not resume ${task.relDest}; starting it over`);
      task.done = 0;
      if (task.sha256) await hashPrefix(task, 0);
      const length = contentLength(res.headers["content-length"]);
      if (length !== undefined && length !== task.size) {
        task.size = length;
        await remember(task.url, length);
      }
      append = false;
    } else if (status === 416 && partSize > 0) {
      res.resume();
      const total = parseContentRange(res.headers["content-range"])?.total;
      if (total === partSize) {
        task.size = total;
        return await finish(task);
      }
      await fs.rm(task.part, { force: true });
      task.hash = undefined;
      task.hashedBytes = 0;
      throw new StartOver(`the partial file does not match the server's; starting ${task.relDest} over`);
    } else {
      res.resume();
      const error = statusError(
        status,
        url,
        start,
        tokens,
        tokenHosts,
        retryAfterMs(res.headers["retry-after"]),
      );
      if (!error.retryable) throw new FileFailure(`${error.message} (${task.url})`);
      throw error;
    }

    await fs.mkdir(path.dirname(task.part), { recursive: true });
    const idle = watchIdle(res, idleTimeoutMs, url.host);
    const tap = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        idle.touch();
        if (task.hash) {
          task.hash.update(chunk);
          task.hashedBytes += chunk.length;
        }
        onBytes(task, chunk.length);
        callback(null, chunk);
      },
    });
    const out = createWriteStream(task.part, { flags: append ? "a" : "w", highWaterMark: 1 << 20 });
    try {
      await pipeline(res, tap, out, { signal });
    } finally {
      idle.stop();
    }

    const written = (await sizeOnDisk(task.part)) ?? 0;
    task.done = written;
    if (task.size !== undefined && written < task.size) {
      throw new Error(`the connection closed at ${formatBytes(written)} of ${formatBytes(task.size)}`);
    }
    if (task.size !== undefined && written > task.size) {
      await fs.rm(task.part, { force: true });
      task.hash = undefined;
      task.hashedBytes = 0;
      throw new StartOver(`received more bytes than announced; starting ${task.relDest} over`);
    }
    task.size = written;
    await finish(task);
  }

  async function run(task: Task): Promise<void> {
    if (signal.aborted || task.state !== "pending") return;
    task.state = "running";
    task.startedAt = Date.now();
    log(
      `Downloading ${task.relDest}${task.size !== undefined ? ` (${formatBytes(task.size)})` : ""} from ${task.url}`,
    );
    let failures = 0;
    let restarts = 0;
    for (;;) {
      const before = task.done;
      try {
        await attempt(task);
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof FileFailure) return fail(task, error.message);
        const message = redact(error instanceof Error ? error.message : String(error));
        if (error instanceof StartOver && ++restarts <= 3) {
          log(message);
          continue;
        }
        // Progress made since the last try earns a fresh set of retries.
        if (task.done - before >= 1 << 20) failures = 0;
        failures++;
        if (failures > retries) {
          return fail(
            task,
            `${message} (gave up after ${failures} tr${failures === 1 ? "y" : "ies"}; ${task.url})`,
          );
        }
        let wait = Math.min(30_000, retryBaseMs * 2 ** (failures - 1));
        if (error instanceof HttpStatusError && error.retryAfterMs !== undefined) {
          wait = Math.min(60_000, Math.max(wait, error.retryAfterMs));
        }
        log(
          `${task.relDest}: ${message}; trying again in ${formatDuration(wait / 1000)} (retry ${failures} of ${retries})`,
        );
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return;
        }
      }
    }
  }

  await Promise.all(toFetch.map((task) => limit(() => run(task))));

  for (const group of groups) {
    group.finished = true;
    emit(group, true);
  }
  if (signal.aborted) {
    log("Cancelled; partial files are kept and the next run resumes them.");
    throw new DownloadAbortError();
  }

  const failed = all.filter((t) => t.state === "failed");
  const downloaded = all.filter((t) => t.state === "done").length;
  const skipped = all.filter((t) => t.state === "skipped").length;
  const bytesReceived = all.reduce((sum, t) => sum + t.received, 0);
  if (failed.length > 0) {
    const lines = failed.map((t) => `  ${t.relDest}: ${t.error ?? "failed"}`);
    const message = redact(
      `${failed.length} of ${all.length} file${all.length === 1 ? "" : "s"} failed to download` +
        (downloaded + skipped > 0 ? ` (${downloaded + skipped} complete)` : "") +
        `:\n${lines.join("\n")}`,
    );
    log(message);
    throw new DownloadError(
      message,
      failed.map((t) => ({ relDest: t.relDest, url: t.url, message: t.error ?? "failed" })),
    );
  }
  log(
    `All ${all.length} file${all.length === 1 ? "" : "s"} complete: ${downloaded} downloaded (${formatBytes(bytesReceived)}), ${skipped} already there.`,
  );
  return { files: all.length, downloaded, skipped, bytesReceived };
}

/**
 * Downloads a plain list of files as one group (progress reports use `id`, default `files`).
 *
 * ```ts
 * await downloadFiles([{ url, dest: path.join(workspaceDir, "ComfyUI/models/vae/ae.safetensors") }], {
 *   workspaceDir, stateDir, tokens: {}, signal, log: console.log,
 * });
 * ```
 */
export async function downloadFiles(
  files: readonly DownloadItem[],
  options: DownloadOptions & { id?: string; name?: string },
): Promise<DownloadSummary> {
  const id = options.id ?? "files";
  return await downloadSets([{ id, name: options.name ?? id, files: [...files] }], options);
}
