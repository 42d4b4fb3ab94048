/**
 * One tool's public port: every request and WebSocket is checked (decide.ts: who, may they, is the tool
 * up), gets the tool's rewrites from its registry entry (rewrite.ts), is noted as activity, and is
 * forwarded to the instance of the tool the artist works in.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { ToolDefinition } from "../tools/registry.js";
import type { ToolService } from "../tools/service.js";
import { tokenHeaders } from "../tools/token.js";
import type { UserStore } from "../users/store.js";
import { StudioError } from "../util/errors.js";
import { toolCookieHeader } from "./access.js";
import type { Activity } from "./activity.js";
import type { ComfyUsers } from "./comfy-users.js";
import { decide, type Admit, type DecideDeps, type Refusal } from "./decide.js";
import { setRoute, type Forwarder } from "./forward.js";
import { hiddenFields } from "./hidden.js";
import type { ApiKeys } from "./keys.js";
import { studioOrigin, toolPortCookie } from "./origin.js";
import { sendJson, sendRefusal } from "./pages.js";
import { MAX_PROMPT_BYTES, rewriteRequest } from "./rewrite.js";
import type { Tickets } from "./tickets.js";
import { countMessages } from "./ws-activity.js";

export { studioOrigin } from "./origin.js";

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
  /** The forwarders (forward.ts): `handler` streams, `hiding` blanks the registry's hidden fields. */
  forward: Pick<Forwarder, "handler" | "hiding">;
}

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
  private readonly decideDeps: DecideDeps;

  constructor(
    readonly tool: ToolDefinition,
    readonly port: number,
    private readonly deps: PortDeps,
  ) {
    const { secret, users, keys, tickets, config, tools, comfyUsers } = deps;
    this.decideDeps = {
      tool,
      access: { toolId: tool.id, port, secret, users, keys, tickets },
      config,
      tools,
      comfyUsers,
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const decision = await decide(this.decideDeps, req, res);
      if (decision === "answered") return;
      if (!decision.ok) return this.refuse(req, res, decision);
      const { who } = decision;
      this.deps.activity.seen(this.tool.id, who.artist, isActivity(req));
      req.url = decision.url;
      if ((await rewriteRequest(this.tool, req, res, who.artist)) === "answered") return;
      const headers = await this.headers(req, decision);
      if (decision.renew && who.artist) {
        res.setHeader(
          "Set-Cookie",
          toolPortCookie(this.deps.secret, this.tool.id, this.port, who.artist, req),
        );
      }
      const hide = hiddenFields(this.tool, who, req.method ?? "GET", req.url);
      this.route(req, decision.port, headers, hide);
      await (hide ? this.deps.forward.hiding : this.deps.forward.handler)(req, res);
    } catch (error) {
      this.fail(res, error);
    }
  }

  async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    try {
      const decision = await decide(this.decideDeps, req, null);
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
      this.route(req, decision.port, headers);
      const artist = decision.who.artist;
      countMessages(socket, () => this.deps.activity.seen(this.tool.id, artist, true));
      this.deps.forward.handler.upgrade(req, socket, head);
    } catch (error) {
      this.deps.logger.error({ err: error, tool: this.tool.id }, "the gateway failed a WebSocket");
      socket.destroy();
    }
  }

  private refuse(req: IncomingMessage, res: ServerResponse, decision: Refusal): void {
    if (decision.redirect) {
      res.writeHead(302, { Location: decision.redirect, "Cache-Control": "no-store" });
      res.end();
      return;
    }
    // Who is not known gets JSON (a browser navigation was redirected above); the rest a page or JSON.
    if (decision.status === 401) return sendJson(res, 401, { success: false, message: decision.sentence });
    const { status, title, sentence, refresh } = decision;
    sendRefusal(req, res, status, title, sentence, studioOrigin(this.deps.config, req), refresh);
  }

  /** The headers the tool gets: the studio's cookies and key removed, the artist's ComfyUI user set. */
  private async headers(req: IncomingMessage, decision: Admit): Promise<Record<string, string | null>> {
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

  private route(
    req: IncomingMessage,
    port: number,
    headers: Record<string, string | null>,
    hide: readonly string[] | null = null,
  ): void {
    setRoute(req, {
      port,
      toolName: this.tool.name,
      studioUrl: studioOrigin(this.deps.config, req),
      headers,
      ...(hide ? { hide } : {}),
    });
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (error instanceof StudioError)
      return sendJson(res, error.status, { success: false, message: error.message });
    // The client left while its prompt was being read: nobody to answer, nothing went wrong here.
    if ((error as NodeJS.ErrnoException).code === "ECONNABORTED") return;
    if ((error as { status?: number }).status === 413) {
      return sendJson(res, 413, {
        success: false,
        message: `The prompt is larger than ${MAX_PROMPT_BYTES / 1024 / 1024} MiB.`,
      });
    }
    this.deps.logger.error({ err: error, tool: this.tool.id }, "the gateway failed a request");
    if (!res.headersSent)
      sendJson(res, 500, {
        success: false,
        message: `The studio's gateway hit an error (${(error as Error).message}); it was logged.`,
      });
    else res.destroy();
  }
}
