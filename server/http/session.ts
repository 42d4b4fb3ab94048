/**
 * A session per browser, kept in files under `STATE_DIR/sessions` so it survives a restart. The chosen
 * artist and admin mode live here, never in the process.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, promises as fs } from "node:fs";
import path from "node:path";
import type { Request, RequestHandler } from "express";
import session from "express-session";
import createFileStore from "session-file-store";
import type { Logger } from "pino";
import { writeFileAtomic } from "../state/atomic.js";
import type { UserStore } from "../users/store.js";
import { badRequest, forbidden } from "../util/errors.js";

declare module "express-session" {
  interface SessionData {
    artist?: string;
    adminMode?: boolean;
    loggedIn?: boolean;
  }
}

/** The session secret: SESSION_SECRET, or one generated once and kept in STATE_DIR (mode 0600). */
export async function sessionSecret(stateDir: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const file = path.join(stateDir, "session_secret");
  try {
    const existing = (await fs.readFile(file, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // made below
  }
  const secret = randomBytes(48).toString("base64url");
  await writeFileAtomic(file, `${secret}\n`, 0o600);
  return secret;
}

export interface SessionOptions {
  stateDir: string;
  secret: string;
  logger: Logger;
  /** Set aside an unreadable session file and say so in /debug. */
  onBadSession?: (message: string) => void;
}

/** How long a session lasts without use. */
const SESSION_TTL_S = 60 * 60 * 24 * 30;
/** How often a session in use has its file rewritten to renew it. */
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export function sessionMiddleware(options: SessionOptions): RequestHandler {
  const FileStore = createFileStore(session);
  const dir = path.join(options.stateDir, "sessions");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = new FileStore({
    path: dir,
    ttl: SESSION_TTL_S,
    retries: 0,
    reapInterval: 60 * 60,
    logFn: () => undefined,
  });
  // A session file is read once per request, here: an unreadable or malformed one must not break the
  // request, so it is set aside (a copy is kept) and that browser starts a new session.
  const setAside = async (sid: string, file: string, reason: string) => {
    const copy = `${file}.bad-${Date.now()}`;
    const kept = await fs.rename(file, copy).then(
      () => `it was set aside as ${path.basename(copy)}`,
      () => "it could not be set aside",
    );
    const message = `A session file was unreadable (${reason}); ${kept} and that browser starts a new session.`;
    options.logger.warn({ session: sid.slice(0, 6) }, message);
    options.onBadSession?.(message);
  };
  store.get = (sid, callback) => {
    const file = path.join(dir, `${sid}.json`);
    void fs.readFile(file, "utf8").then(
      async (text) => {
        const problem = sessionFileProblem(text);
        if (problem) {
          await setAside(sid, file, problem);
          return callback(null, null);
        }
        const data = JSON.parse(text) as session.SessionData & { __lastAccess?: number };
        const maxAge = Number(data.cookie.originalMaxAge) || SESSION_TTL_S * 1000;
        const expired = typeof data.__lastAccess === "number" && data.__lastAccess + maxAge < Date.now();
        callback(null, expired ? null : data);
      },
      async (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return callback(null, null);
        await setAside(sid, file, error.message);
        callback(null, null);
      },
    );
  };
  // Every answer renews the cookie (rolling); the file is rewritten for that at most every few minutes, not
  // on every poll of every open page.
  type Done = (error?: unknown) => void;
  const touch = store.touch?.bind(store) as ((sid: string, data: unknown, done: Done) => void) | undefined;
  store.touch = (sid, data, callback) => {
    const done = (callback ?? (() => undefined)) as Done;
    const last = (data as { __lastAccess?: unknown }).__lastAccess;
    if (!touch || (typeof last === "number" && Date.now() - last < TOUCH_EVERY_MS)) return done();
    touch(sid, data, done);
  };
  return session({
    name: "comfystudio.sid",
    secret: options.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: true,
    cookie: { httpOnly: true, sameSite: "lax", secure: "auto", maxAge: 1000 * 60 * 60 * 24 * 30 },
  });
}

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

export interface Who {
  artist: string | null;
  isAdmin: boolean;
  adminMode: boolean;
}

/** Who this browser is, checked against the current users list (a removed user is nobody). */
export function who(req: Request, users: UserStore): Who {
  const stored = req.session.artist;
  const user = typeof stored === "string" && stored !== "" ? users.find(stored) : undefined;
  if (!user) return { artist: null, isAdmin: false, adminMode: false };
  return { artist: user.name, isAdmin: user.admin, adminMode: user.admin && req.session.adminMode === true };
}

export function requireArtist(req: Request, users: UserStore): string {
  const { artist } = who(req, users);
  if (!artist) throw badRequest("Pick your name first.");
  return artist;
}

export function requireAdminMode(req: Request, users: UserStore): string {
  const me = who(req, users);
  if (!me.artist) throw forbidden("Only an admin in admin mode may do this: pick your name first.");
  if (!me.isAdmin) throw forbidden(`Only an admin in admin mode may do this; ${me.artist} is not an admin.`);
  if (!me.adminMode) throw forbidden("Switch admin mode on first.");
  return me.artist;
}

/** Saves the session before answering, so the next request sees the change. */
export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}

export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((error) => (error ? reject(error) : resolve())),
  );
}
