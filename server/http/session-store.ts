/**
 * Where sessions live: in memory, with one file per session under `STATE_DIR/sessions` as the durable
 * copy (so a restart keeps everyone signed in). A request never reads a file unless its session is not
 * in memory yet (the first request after a restart). Bounded: at most `maxSessions` are kept (the least
 * recently used go first) and a session unused for `ttlMs` is dropped. Files are opened without following
 * links and without blocking (a FIFO or a symlink is set aside, never read); an unreadable or malformed
 * file is set aside with a warning, and that browser starts a new session.
 */
import { constants, promises as fs } from "node:fs";
import path from "node:path";
import session, { type SessionData } from "express-session";
import type { Logger } from "pino";
import { writeFileAtomic } from "../state/atomic.js";

export interface SessionStoreOptions {
  dir: string;
  ttlMs: number;
  maxSessions: number;
  logger: Logger;
  /** How often a session in use has its file rewritten to renew it. */
  touchEveryMs: number;
  onBadSession?: (message: string) => void;
}

interface Entry {
  data: SessionData;
  lastAccess: number;
  writtenAt: number;
}

type Callback<T = void> = (error?: unknown, value?: T) => void;

/** A session id as express-session makes them (uid-safe, 24 bytes): anything else is never a file name. */
const SID = /^[A-Za-z0-9_-]{20,64}$/;

/** Why a session file's text cannot be a session (express-session needs an object with a cookie), or null. */
export function sessionFileProblem(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return "it is not a JSON object";
  const cookie = (value as { cookie?: unknown }).cookie;
  if (!cookie || typeof cookie !== "object" || Array.isArray(cookie)) return "it has no cookie settings";
  return null;
}

export class SessionStore extends session.Store {
  private readonly entries = new Map<string, Entry>();
  private readonly pruner: NodeJS.Timeout;

  constructor(private readonly options: SessionStoreOptions) {
    super();
    this.pruner = setInterval(() => void this.prune(), Math.min(options.ttlMs, 10 * 60_000));
    this.pruner.unref();
  }

  private file(sid: string): string {
    return path.join(this.options.dir, `${sid}.json`);
  }

  /** Reads the sessions a previous studio left (pruned first), without following links. */
  async open(): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    await this.prune();
  }

  private async setAside(sid: string, reason: string): Promise<void> {
    const file = this.file(sid);
    const copy = `${file}.bad-${Date.now()}`;
    const kept = await fs.rename(file, copy).then(
      () => `it was set aside as ${path.basename(copy)}`,
      () => "it could not be set aside",
    );
    const message = `A session file was unreadable (${reason}); ${kept} and that browser starts a new session.`;
    this.options.logger.warn({ session: sid.slice(0, 6) }, message);
    this.options.onBadSession?.(message);
  }

  private async readFile(sid: string): Promise<Entry | null> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(
        this.file(sid),
        constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return null;
      await this.setAside(sid, code === "ELOOP" ? "it is a link" : (error as Error).message);
      return null;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new Error("it is not a regular file");
      if (stat.size > 64 * 1024) throw new Error("it is larger than 64 KiB");
      const text = await handle.readFile("utf8");
      const problem = sessionFileProblem(text);
      if (problem) throw new Error(problem);
      await handle.close();
      const data = JSON.parse(text) as SessionData & { __lastAccess?: number };
      const lastAccess = typeof data.__lastAccess === "number" ? data.__lastAccess : stat.mtimeMs;
      delete data.__lastAccess;
      return { data, lastAccess, writtenAt: stat.mtimeMs };
    } catch (error) {
      await handle.close().catch(() => undefined);
      await this.setAside(sid, (error as Error).message);
      return null;
    }
  }

  private expired(entry: Entry, now = Date.now()): boolean {
    return entry.lastAccess + this.options.ttlMs < now;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    const cached = this.entries.get(sid);
    if (cached) return callback(null, this.expired(cached) ? null : cached.data);
    if (!SID.test(sid)) return callback(null, null);
    void this.readFile(sid).then((entry) => {
      if (!entry || this.expired(entry)) return callback(null, null);
      this.remember(sid, entry);
      callback(null, entry.data);
    });
  }

  private remember(sid: string, entry: Entry): void {
    this.entries.delete(sid);
    this.entries.set(sid, entry);
    while (this.entries.size > this.options.maxSessions) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      void fs.rm(this.file(oldest), { force: true });
    }
  }

  private async write(sid: string, entry: Entry): Promise<void> {
    entry.writtenAt = Date.now();
    await writeFileAtomic(
      this.file(sid),
      JSON.stringify({ ...entry.data, __lastAccess: entry.lastAccess }),
      0o600,
    );
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    if (!SID.test(sid)) return callback?.(new Error("bad session id"));
    const entry: Entry = { data, lastAccess: Date.now(), writtenAt: 0 };
    this.remember(sid, entry);
    this.write(sid, entry).then(
      () => callback?.(),
      (error: unknown) => callback?.(error),
    );
  }

  /** Renews a session in use; its file is rewritten for that at most every `touchEveryMs`. */
  override touch(sid: string, data: SessionData, callback?: Callback): void {
    const entry = this.entries.get(sid);
    if (!entry) return this.set(sid, data, callback);
    entry.lastAccess = Date.now();
    entry.data = data;
    this.remember(sid, entry);
    if (Date.now() - entry.writtenAt < this.options.touchEveryMs) return callback?.();
    this.write(sid, entry).then(
      () => callback?.(),
      (error: unknown) => callback?.(error),
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.entries.delete(sid);
    if (!SID.test(sid)) return callback?.();
    fs.rm(this.file(sid), { force: true }).then(
      () => callback?.(),
      (error: unknown) => callback?.(error),
    );
  }

  /** How many sessions are held in memory. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops expired sessions, and files past the cap (oldest first). */
  async prune(now = Date.now()): Promise<void> {
    for (const [sid, entry] of this.entries) if (this.expired(entry, now)) this.destroy(sid);
    let names: string[];
    try {
      names = (await fs.readdir(this.options.dir)).filter((name) => name.endsWith(".json"));
    } catch {
      return;
    }
    const files = await Promise.all(
      names.map(async (name) => ({
        name,
        stat: await fs.lstat(path.join(this.options.dir, name)).catch(() => null),
      })),
    );
    const live = files
      .filter((file) => file.stat?.isFile())
      .sort((a, b) => b.stat!.mtimeMs - a.stat!.mtimeMs);
    const drop = live.filter(
      (file, index) => index >= this.options.maxSessions || file.stat!.mtimeMs + this.options.ttlMs < now,
    );
    await Promise.all(drop.map((file) => fs.rm(path.join(this.options.dir, file.name), { force: true })));
  }

  close(): void {
    clearInterval(this.pruner);
  }
}
