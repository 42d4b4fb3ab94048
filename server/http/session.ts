/**
 * A session per browser (http/session-store.ts keeps them in memory and on the volume). The chosen artist,
 * admin mode and the login live here, never in the process. Every change of privilege (login, admin
 * mode on or off, another artist) gives the browser a new session id, so a copied cookie keeps none.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promises as fs } from "node:fs";
import type { Request, RequestHandler } from "express";
import session from "express-session";
import type { Logger } from "pino";
import { writeFileAtomic } from "../state/atomic.js";
import type { UserStore } from "../users/store.js";
import { NOBODY, type Who } from "../users/who.js";
import { badRequest, forbidden } from "../util/errors.js";
import { SessionStore } from "./session-store.js";

export type { Who };

declare module "express-session" {
  interface SessionData {
    artist?: string;
    adminMode?: boolean;
    loggedIn?: boolean;
  }
}

export const SESSION_COOKIE = "comfystudio.sid";
/** How long a session lasts without use. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60_000;
/** At most this many sessions are kept; the least recently used go first. */
export const MAX_SESSIONS = 1_000;
/** How often a session in use has its file rewritten to renew it. */
const TOUCH_EVERY_MS = 5 * 60_000;

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
  onBadSession?: (message: string) => void;
}

export async function createSessionStore(options: SessionOptions): Promise<SessionStore> {
  const store = new SessionStore({
    dir: path.join(options.stateDir, "sessions"),
    ttlMs: SESSION_TTL_MS,
    maxSessions: MAX_SESSIONS,
    touchEveryMs: TOUCH_EVERY_MS,
    logger: options.logger,
    onBadSession: options.onBadSession,
  });
  await store.open();
  return store;
}

export function sessionMiddleware(store: SessionStore, secret: string): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: true,
    cookie: { httpOnly: true, sameSite: "lax", secure: "auto", maxAge: SESSION_TTL_MS },
  });
}

/** Who a session is, checked against the current users list (a removed user is nobody). */
export function whoOf(data: Partial<session.SessionData> | undefined, users: UserStore): Who {
  const stored = data?.artist;
  const user = typeof stored === "string" && stored !== "" ? users.find(stored) : undefined;
  if (!user) return NOBODY;
  return { artist: user.name, isAdmin: user.admin, adminMode: user.admin && data?.adminMode === true };
}

export function who(req: Request, users: UserStore): Who {
  return whoOf(req.session, users);
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

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/** Saves the session before answering, so the next request sees the change. */
export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.save((error: unknown) => (error ? reject(asError(error)) : resolve())),
  );
}

/**
 * Gives the browser a new session id holding what it had plus `changes` (the old id is destroyed), and
 * saves it: every change of privilege goes through here.
 */
export async function rotateSession(req: Request, changes: Partial<session.SessionData>): Promise<void> {
  const kept = {
    artist: req.session.artist,
    adminMode: req.session.adminMode,
    loggedIn: req.session.loggedIn,
  };
  await new Promise<void>((resolve, reject) =>
    req.session.regenerate((error: unknown) => (error ? reject(asError(error)) : resolve())),
  );
  Object.assign(req.session, kept, changes);
  await saveSession(req);
}
