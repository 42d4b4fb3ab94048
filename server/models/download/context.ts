/**
 * One run's settings and services, shared by every step: checked tokens, a log that never carries a token,
 * the size cache, and the bound on connections over all files.
 *
 * ```ts
 * const ctx = await openContext(options);
 * ctx.log("Checking the size of 2 files...");
 * await ctx.remember(url, 335_304_388);
 * await ctx.connections(() => fetchPiece(piece));
 * ctx.close();
 * ```
 */
import path from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import { DEFAULT_TOKEN_HOSTS, TOKEN_NAMES, type TokenKind, type Tokens } from "../http.js";
import { SizeCache } from "../sizeCache.js";
import { ConnectionPool } from "../wire/pool.js";
import { SlabPool } from "./slabs.js";
import type { DownloadOptions, DownloadProgress } from "./types.js";

export interface RunContext {
  workspaceDir: string;
  tokens: Tokens;
  tokenHosts: Readonly<Record<string, TokenKind>>;
  signal: AbortSignal;
  concurrency: number;
  connectionsPerFile: number;
  firstConnections: number;
  minPieceBytes: number;
  stateSaveMs: number;
  retries: number;
  retryBaseMs: number;
  logIntervalMs: number;
  progressIntervalMs: number;
  idleTimeoutMs: number;
  freeSpace?: (dir: string) => Promise<number>;
  onProgress?: (progress: DownloadProgress) => void;
  cache: SizeCache;
  /** Runs `task` once a connection of the run's bound is free. */
  connections: LimitFunction;
  /** The run's kept-alive connections (closed by `close`). */
  pool: ConnectionPool;
  /** The run's write buffers. */
  slabs: SlabPool;
  /** How bodies reach the disk: "sync" only in a thread of the run's own (see download/direct.ts). */
  writes: "async" | "sync";
  /** Ends the run's waiting connections. */
  close: () => void;
  /** Replaces every token in `text` with `[token]`. */
  redact: (text: string) => string;
  /** Writes a line to the job log, redacted; a broken sink is ignored. */
  log: (line: string) => void;
  /** Saves a size in the cache; a failed save is noted in the log once. */
  remember: (url: string, bytes: number) => Promise<void>;
}

function checkToken(kind: TokenKind, token: string | undefined): string | undefined {
  const trimmed = token?.trim();
  if (!trimmed) return undefined;
  if (!/^[\x21-\x7e]+$/.test(trimmed)) {
    throw new Error(
      `The ${TOKEN_NAMES[kind]} token contains characters a token cannot have (spaces or symbols).`,
    );
  }
  return trimmed;
}

const whole = (value: number | undefined, fallback: number, least: number): number =>
  Math.max(least, Math.floor(value ?? fallback));

/** Checks the tokens, applies the defaults and opens the size cache. Throws on a token that cannot be one. */
export async function openContext(options: DownloadOptions): Promise<RunContext> {
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
  const pool = new ConnectionPool(options.tls ?? {});
  return {
    workspaceDir: path.resolve(options.workspaceDir),
    tokens,
    tokenHosts: options.tokenHosts ?? DEFAULT_TOKEN_HOSTS,
    signal: options.signal,
    concurrency: whole(options.concurrency, 3, 1),
    connectionsPerFile: whole(options.connectionsPerFile, 8, 1),
    firstConnections: whole(options.firstConnections, 1, 1),
    minPieceBytes: whole(options.minPieceBytes, 16 * 1024 * 1024, 1),
    stateSaveMs: Math.max(0, options.stateSaveMs ?? 2000),
    retries: whole(options.retries, 5, 0),
    retryBaseMs: Math.max(0, options.retryBaseMs ?? 1000),
    logIntervalMs: options.logIntervalMs ?? 2000,
    progressIntervalMs: options.progressIntervalMs ?? 500,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    freeSpace: options.freeSpace,
    onProgress: options.onProgress,
    cache,
    connections: pLimit(whole(options.maxConnections, 16, 1)),
    pool,
    slabs: new SlabPool(),
    writes: options.writes ?? "async",
    close: () => pool.close(),
    redact,
    log,
    remember,
  };
}
