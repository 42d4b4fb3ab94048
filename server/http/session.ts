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

export function sessionMiddleware(options: SessionOptions): RequestHandler {
  const FileStore = createFileStore(session);
  const dir = path.join(options.stateDir, "sessions");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = new FileStore({
    path: dir,
    ttl: 60 * 60 * 24 * 30,
    retries: 0,
    reapInterval: 60 * 60,
    logFn: () => undefined,
  });
  // An unreadable session file must not break the request: treat it as no session, keep a copy.
  const get = store.get.bind(store);
  store.get = (sid, callback) => {
    get(sid, (error, data) => {
      if (!error) return callback(null, data);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return callback(null, null);
      const file = path.join(dir, `${sid}.json`);
      const copy = `${file}.bad-${Date.now()}`;
      void fs.rename(file, copy).catch(() => undefined);
      const message = `A session file was unreadable (${(error as Error).message}); it was set aside as ${path.basename(copy)} and that browser starts a new session.`;
      options.logger.warn(message);
      options.onBadSession?.(message);
      callback(null, null);
    });
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

export interface Who {
  artist: string | null;
  isAdmin: boolean;
  adminMode: boolean;
}

/** Who this browser is, checked against the current users list (a removed user is nobody). */
export function who(req: Request, users: UserStore): Who {
  const stored = req.session.artist;
  const user = stored ? users.find(stored) : undefined;
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
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}
