/**
 * One tool's public port: every request and WebSocket is checked (who, may they, is the tool up), gets
 * the tool's rewrites from its registry entry, is noted as activity, and is forwarded to the instance of
 * the tool the artist works in.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { serialize } from "cookie";
import getRawBody from "raw-body";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { ToolDefinition } from "../tools/registry.js";
import type { ToolService } from "../tools/service.js";
import type { UserStore } from "../users/store.js";
import type { Who } from "../users/who.js";
import { StudioError } from "../util/errors.js";
import { identify, toolCookieHeader, type AccessDeps } from "./access.js";
import type { Activity } from "./activity.js";
import { placeComfyArtist } from "./comfy-place.js";
import type { ComfyUsers } from "./comfy-users.js";
import { makeToolCookie, toolCookieName, TOOL_COOKIE_TTL_MS } from "./cookies.js";
import { setRoute } from "./forward.js";
import type { ApiKeys } from "./keys.js";
import { sendJson, sendRefusal, wantsHtml } from "./pages.js";
import { isPromptPath, isUsersPath, rewritePrompt } from "./prompt.js";
import type { Tickets } from "./tickets.js";
import { tokenHeaders } from "../tools/token.js";
import { countMessages } from "./ws-activity.js";

/** The largest prompt body the gateway reads to rewrite (prompts are JSON, images travel separately). */
const MAX_PROMPT_BYTES = 32 * 1024 * 1024;

export interface PortDeps {
  config: Config;
  users: UserStore;
  tools: ToolService;
  keys: ApiKeys;
  tickets: Tickets;
  activity: Activity;
  secret: string;
  comfyUsers: ComfyUsers | null;
  logger: Logger;
  forward: {
    (req: IncomingMessage, res: ServerResponse): Promise<void>;
    upgrade: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
  };
}

type Decision =
  | { ok: true; who: Who; url: string; index: number; port: number; renew: boolean; via: string }
  | { ok: false; status: number; title: string; sentence: string; refresh?: boolean; redirect?: string };

/** The studio's origin as a browser on this tool port sees it. */
export function studioOrigin(config: Config, req: IncomingMessage): string {
  if (config.runpodPodId) return `https://${config.runpodPodId}-${config.port}.proxy.runpod.net`;
  const host = new URL(`http://${req.headers.host ?? "localhost"}`).hostname;
  const proto =
    String(req.headers["x-forwarded-proto"] ?? "http")
      .split(",")[0]!
      .trim() === "https"
      ? "https"
      : "http";
  return `${proto}://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

const isSecure = (req: IncomingMessage) =>
  String(req.headers["x-forwarded-proto"] ?? "")
    .split(",")[0]!
    .trim() === "https" || Boolean((req.socket as { encrypted?: boolean }).encrypted);

/**
 * A person or a script doing something, not an open tab polling (see gateway/activity.ts): any change, a
 * navigation, or a request without fetch metadata (a script). A page's own GET (Sec-Fetch-Mode cors,
 * no-cors, same-origin) is presence only, whether or not Sec-Fetch-Site came with it.
 */
function isActivity(req: IncomingMessage): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return true;
  const mode = req.headers["sec-fetch-mode"];
  if (mode !== undefined) return mode === "navigate";
  return req.headers["sec-fetch-site"] === undefined;
}

export class ToolPort {
  private readonly access: AccessDeps;

  constructor(
    readonly tool: ToolDefinition,
    readonly port: number,
    private readonly deps: PortDeps,
  ) {
    this.access = {
      toolId: tool.id,
      port,
      secret: deps.secret,
      users: deps.users,
      keys: deps.keys,
      tickets: deps.tickets,
    };
  }

  private cookie(artist: string, req: IncomingMessage): string {
    const value = makeToolCookie(this.deps.secret, {
      toolId: this.tool.id,
      artist,
      expires: Date.now() + TOOL_COOKIE_TTL_MS,
    });
    return serialize(toolCookieName(this.port), value, {
      httpOnly: true,
      sameSite: "lax",
      secure: isSecure(req),
      path: "/",
      maxAge: TOOL_COOKIE_TTL_MS / 1000,
    });
  }

  /** Who, whether they may in, and where to. */
  private async decide(req: IncomingMessage, res: ServerResponse | null): Promise<Decision | "answered"> {
    const { tool, deps } = this;
    const entry = identify(req, this.access);
    if (entry.kind === "bad-key")
      return {
        ok: false,
        status: 401,
        title: "Unknown key",
        sentence:
          "That API key is not valid (it may have been replaced); copy the current one from the studio page.",
      };
    if (entry.kind === "swap") {
      if (!res)
        return { ok: false, status: 400, title: "Ticket", sentence: "A ticket cannot open a WebSocket." };
      res.writeHead(302, {
        Location: entry.url,
        "Set-Cookie": this.cookie(entry.artist, req),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
      });
      res.end();
      return "answered";
    }
    const { who, url } = entry;
    const open = `${studioOrigin(deps.config, req)}/open/${tool.id}`;
    if (!who.artist && deps.config.secrets.studioPassword !== undefined) {
      if (res && wantsHtml(req) && req.method === "GET")
        return {
          ok: false,
          status: 302,
          title: "",
          sentence: "",
          redirect: `${open}?next=${encodeURIComponent(url)}`,
        };
      return {
        ok: false,
        status: 401,
        title: "Log in first",
        sentence: `${tool.name} is reached through the studio: open it from the studio page, or send your API key.`,
      };
    }
    const problem = deps.tools.accessProblem(who, tool);
    if (problem) return { ok: false, status: 403, title: `${tool.name} is for admins`, sentence: problem };
    const instances = deps.tools.manager.instances(tool.id);
    const placed =
      deps.comfyUsers && tool.rewrites.includes("comfy-user") && instances.length > 1
        ? await placeComfyArtist(deps.tools, deps.comfyUsers, tool, who, instances)
        : deps.tools.placement.forRequest(tool.id, who.artist, instances);
    if (placed !== null && typeof placed === "object") return placed;
    const index = placed;
    const instance = index === null ? undefined : instances[index];
    const target = instance?.targetPort ?? null;
    if (!instance || target === null || !instance.portReady) {
      const state = instance?.state ?? "stopped";
      const starting = state === "starting";
      const sentence = starting
        ? `${tool.name} is starting; this page reloads until it is ready.`
        : `${tool.name} is ${state === "crashed" ? "not running (it stopped unexpectedly)" : state}: start it from the studio.`;
      return {
        ok: false,
        status: 503,
        title: `${tool.name} is ${starting ? "starting" : "not running"}`,
        sentence,
        refresh: starting,
      };
    }
    return { ok: true, who, url, index: index!, port: target, renew: entry.renew, via: entry.via };
  }

  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    decision: Extract<Decision, { ok: false }>,
  ): void {
    if (decision.redirect) {
      res.writeHead(302, { Location: decision.redirect, "Cache-Control": "no-store" });
      res.end();
      return;
    }
    // Who is not known gets JSON (a browser navigation was redirected above); the rest a page or JSON.
    if (decision.status === 401) return sendJson(res, 401, { success: false, message: decision.sentence });
    sendRefusal(
      req,
      res,
      decision.status,
      decision.title,
      decision.sentence,
      studioOrigin(this.deps.config, req),
      decision.refresh,
    );
  }

  /** The headers the tool gets: the studio's cookies and key removed, the artist's ComfyUI user set. */
  private async headers(
    req: IncomingMessage,
    decision: Extract<Decision, { ok: true }>,
  ): Promise<Record<string, string | null>> {
    const headers: Record<string, string | null> = { cookie: toolCookieHeader(req.headers.cookie) ?? null };
    if (decision.via === "key") headers.authorization = null;
    Object.assign(headers, tokenHeaders(this.tool, this.deps.secret));
    if (this.tool.rewrites.includes("comfy-user") && this.deps.comfyUsers) {
      headers["comfy-user"] = decision.who.artist
        ? await this.deps.comfyUsers.idFor(decision.who.artist, decision.index, decision.port)
        : "default";
    }
    return headers;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const decision = await this.decide(req, res);
      if (decision === "answered") return;
      if (!decision.ok) return this.refuse(req, res, decision);
      const { who } = decision;
      this.deps.activity.seen(this.tool.id, who.artist, isActivity(req));
      req.url = decision.url;
      const pathname = decision.url.split("?")[0]!;
      if (this.tool.rewrites.includes("comfy-user") && isUsersPath(pathname)) {
        // The studio owns the users: the page works as a single-user ComfyUI, each artist as themselves.
        if (req.method === "GET") return sendJson(res, 200, { storage: "server", migrated: true });
        return sendJson(res, 403, {
          success: false,
          message: "ComfyUI's users are made by the studio, one per artist.",
        });
      }
      if (
        this.tool.rewrites.includes("filename-prefix") &&
        isPromptPath(req.method ?? "", pathname) &&
        who.artist
      ) {
        const text = await getRawBody(req, { limit: MAX_PROMPT_BYTES, encoding: "utf8" });
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return sendJson(res, 400, { success: false, message: "The prompt is not valid JSON." });
        }
        (req as IncomingMessage & { body?: unknown }).body = rewritePrompt(body, who.artist);
        req.headers["content-type"] = "application/json";
        // The rewritten body goes with its own Content-Length, never also chunked.
        delete req.headers["transfer-encoding"];
      }
      const headers = await this.headers(req, decision);
      if (decision.renew && who.artist) res.setHeader("Set-Cookie", this.cookie(who.artist, req));
      setRoute(req, {
        port: decision.port,
        toolName: this.tool.name,
        studioUrl: studioOrigin(this.deps.config, req),
        headers,
      });
      await this.deps.forward(req, res);
    } catch (error) {
      if (error instanceof StudioError)
        return sendJson(res, error.status, { success: false, message: error.message });
      // The client left while its prompt was being read: nobody to answer, nothing went wrong here.
      if ((error as NodeJS.ErrnoException).code === "ECONNABORTED") return;
      const status = (error as { status?: number }).status;
      if (status === 413)
        return sendJson(res, 413, { success: false, message: "The prompt is larger than 32 MiB." });
      this.deps.logger.error({ err: error, tool: this.tool.id }, "the gateway failed a request");
      if (!res.headersSent)
        sendJson(res, 500, {
          success: false,
          message: `The studio's gateway hit an error (${(error as Error).message}); it was logged.`,
        });
      else res.destroy();
    }
  }

  async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    try {
      const decision = await this.decide(req, null);
      if (decision === "answered") return;
      if (!decision.ok) {
        const body = JSON.stringify({ success: false, message: decision.sentence });
        socket.end(
          `HTTP/1.1 ${decision.status === 302 ? 401 : decision.status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      this.deps.activity.seen(this.tool.id, decision.who.artist, true);
      req.url = decision.url;
      const headers = { ...(await this.headers(req, decision)), "sec-websocket-extensions": null };
      delete req.headers["sec-websocket-extensions"];
      setRoute(req, {
        port: decision.port,
        toolName: this.tool.name,
        studioUrl: studioOrigin(this.deps.config, req),
        headers,
      });
      const artist = decision.who.artist;
      countMessages(socket, () => this.deps.activity.seen(this.tool.id, artist, true));
      this.deps.forward.upgrade(req, socket, head);
    } catch (error) {
      this.deps.logger.error({ err: error, tool: this.tool.id }, "the gateway failed a WebSocket");
      socket.destroy();
    }
  }
}
