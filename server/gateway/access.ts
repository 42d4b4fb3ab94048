/**
 * Who a request to a tool port stands for, and what to do about it. In order: an API key as a path
 * prefix `/k/{key}/...` (removed) or as `Authorization: Bearer {key}` (removed); a one-time ticket from
 * the studio (swapped for the port's cookie by a redirect, so it never reaches the tool); the port's
 * signed cookie. A name no longer on the users list is nobody.
 */
import type { IncomingMessage } from "node:http";
import { parse as parseCookies } from "cookie";
import type { UserStore } from "../users/store.js";
import type { Who } from "../users/who.js";
import { NOBODY } from "../users/who.js";
import { readToolCookie, toolCookieName, TOOL_COOKIE_TTL_MS } from "./cookies.js";
import type { ApiKeys } from "./keys.js";
import { TICKET_PARAM, type Tickets } from "./tickets.js";

export type Entry =
  /** Pass on as `who` (NOBODY: no artist), to `url`; `renew` when the cookie should be set anew. */
  | { kind: "pass"; who: Who; url: string; via: "key" | "cookie" | "none"; renew: boolean }
  /** A valid ticket: set the cookie for `artist` and redirect to `url` (the ticket removed). */
  | { kind: "swap"; artist: string; url: string }
  /** A key that is not (or no longer) valid. */
  | { kind: "bad-key" };

export interface AccessDeps {
  toolId: string;
  port: number;
  secret: string;
  users: UserStore;
  keys: ApiKeys;
  tickets: Tickets;
}

const KEY_PREFIX = /^\/k\/([^/?#]+)(\/[^]*)?$/;

function whoIs(users: UserStore, artist: string | null): Who {
  const user = artist ? users.find(artist) : undefined;
  return user ? { artist: user.name, isAdmin: user.admin, adminMode: false } : NOBODY;
}

/** `url` without the ticket parameter. */
function withoutTicket(url: URL): string {
  url.searchParams.delete(TICKET_PARAM);
  return `${url.pathname}${url.search}`;
}

export function identify(req: IncomingMessage, deps: AccessDeps, now = Date.now()): Entry {
  const raw = req.url ?? "/";
  const prefixed = KEY_PREFIX.exec(raw);
  if (prefixed) {
    const artist = deps.keys.artistOf(decodeURIComponent(prefixed[1]!));
    if (!artist || !deps.users.find(artist)) return { kind: "bad-key" };
    const rest = prefixed[2] ?? "/";
    return {
      kind: "pass",
      who: whoIs(deps.users, artist),
      url: rest.startsWith("/") ? rest : `/${rest}`,
      via: "key",
      renew: false,
    };
  }
  const bearer = /^Bearer\s+(csk_\S+)$/i.exec(req.headers.authorization ?? "");
  if (bearer) {
    const artist = deps.keys.artistOf(bearer[1]!);
    if (!artist || !deps.users.find(artist)) return { kind: "bad-key" };
    return { kind: "pass", who: whoIs(deps.users, artist), url: raw, via: "key", renew: false };
  }
  const url = new URL(raw, "http://tool.invalid");
  const ticket = url.searchParams.get(TICKET_PARAM);
  if (ticket !== null) {
    const artist = deps.tickets.redeem(ticket, deps.toolId);
    if (artist && deps.users.find(artist)) return { kind: "swap", artist, url: withoutTicket(url) };
    // A used, expired, forged or other-tool ticket never passes: the request goes on without it.
    return {
      kind: "pass",
      who: cookieWho(req, deps, now).who,
      url: withoutTicket(url),
      via: "none",
      renew: false,
    };
  }
  const { who, renew } = cookieWho(req, deps, now);
  return { kind: "pass", who, url: raw, via: who.artist ? "cookie" : "none", renew };
}

function cookieWho(req: IncomingMessage, deps: AccessDeps, now: number): { who: Who; renew: boolean } {
  const header = req.headers.cookie;
  if (!header) return { who: NOBODY, renew: false };
  const value = parseCookies(header)[toolCookieName(deps.port)];
  const pass = value ? readToolCookie(deps.secret, value, deps.toolId, now) : null;
  if (!pass) return { who: NOBODY, renew: false };
  return { who: whoIs(deps.users, pass.artist), renew: pass.expires - now < TOOL_COOKIE_TTL_MS / 2 };
}

/** The Cookie header without the studio's own cookies (the tool never sees them). */
export function toolCookieHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part !== "" && !/^comfystudio(\.sid|_tool_\d+)=/.test(part));
  return kept.length > 0 ? kept.join("; ") : undefined;
}
