/**
 * What a tool port does with a request or a WebSocket, before anything is forwarded: who it is (ticket,
 * cookie or API key), whether they may in (logged in, admin-only tools, changes to the tool itself), and
 * which instance of the tool they work in and whether it is up. A ticket is swapped for the port's cookie
 * right here.
 *
 * ```ts
 * const decision = await decide(port, req, res); // res null for a WebSocket
 * if (decision === "answered") return;           // a ticket became a cookie and a redirect
 * if (!decision.ok) return refuse(decision);     // 401, 403, 503 (starting: the page reloads), a log-in redirect
 * forwardTo(decision.port, decision.who);
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.js";
import type { ToolDefinition } from "../tools/registry.js";
import type { ToolService } from "../tools/service.js";
import type { Who } from "../users/who.js";
import { identify, type AccessDeps } from "./access.js";
import { changeProblem } from "./changes.js";
import { placeComfyArtist } from "./comfy-place.js";
import type { ComfyUsers } from "./comfy-users.js";
import { studioOrigin, toolPortCookie } from "./origin.js";
import { wantsHtml } from "./pages.js";

export type Admit = {
  ok: true;
  who: Who;
  url: string;
  index: number;
  port: number;
  renew: boolean;
  via: string;
};
export type Refusal = {
  ok: false;
  status: number;
  title: string;
  sentence: string;
  refresh?: boolean;
  redirect?: string;
};
export type Decision = Admit | Refusal;

/** What a port decides with. */
export interface DecideDeps {
  tool: ToolDefinition;
  access: AccessDeps;
  config: Config;
  tools: ToolService;
  comfyUsers: ComfyUsers | null;
}

/** Who, whether they may in, and where to. */
export async function decide(
  d: DecideDeps,
  req: IncomingMessage,
  res: ServerResponse | null,
): Promise<Decision | "answered"> {
  const { tool } = d;
  // A full URL as the target (absolute-form, meant for proxies) would be routed by the tool on a path the
  // gateway's rules never saw: only paths are taken.
  if (!(req.url ?? "/").startsWith("/"))
    return {
      ok: false,
      status: 400,
      title: "Bad request",
      sentence: `${tool.name} is asked by path (/...), not by a full URL.`,
    };
  const entry = identify(req, d.access);
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
      "Set-Cookie": toolPortCookie(d.access.secret, tool.id, d.access.port, entry.artist, req),
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
    });
    res.end();
    return "answered";
  }
  const { who, url } = entry;
  if (!who.artist && d.config.secrets.studioPassword !== undefined) {
    const open = `${studioOrigin(d.config, req)}/open/${tool.id}`;
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
  const problem = d.tools.accessProblem(who, tool);
  if (problem) return { ok: false, status: 403, title: `${tool.name} is for admins`, sentence: problem };
  const change = changeProblem(tool, req.method ?? "GET", url, who, d.config.toolChangesBy);
  if (change) return { ok: false, status: 403, title: "For admins", sentence: change };
  const instances = d.tools.manager.instances(tool.id);
  const placed =
    d.comfyUsers && tool.rewrites.includes("comfy-user") && instances.length > 1
      ? await placeComfyArtist(d.tools, d.comfyUsers, tool, who, instances)
      : d.tools.placement.forRequest(tool.id, who.artist, instances);
  if (placed !== null && typeof placed === "object") return placed;
  const instance = placed === null ? undefined : instances[placed];
  const target = instance?.targetPort ?? null;
  if (placed === null || !instance || target === null || !instance.portReady) {
    return notUp(tool, instance?.state ?? "stopped");
  }
  return { ok: true, who, url, index: placed, port: target, renew: entry.renew, via: entry.via };
}

function notUp(tool: ToolDefinition, state: string): Refusal {
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
