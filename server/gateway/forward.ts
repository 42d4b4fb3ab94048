/**
 * Forwarding through http-proxy-middleware: HTTP and WebSocket, streamed both ways, to the loopback port
 * the gateway chose for the request. The client's Host header is kept (ComfyUI refuses a POST whose
 * Origin disagrees with Host); X-Forwarded-For/-Host/-Proto say where the request came from (the RunPod
 * proxy's own values are kept). A tool that is gone answers 502, one that hangs 504, never a hang.
 *
 * Connections to the tools are kept alive and reused (a page's hundreds of small requests each skip a TCP
 * handshake), but never for longer than UPSTREAM_FREE_SOCKET_MS idle, or a tool's keep-alive hint if that is
 * shorter: a tool closes an idle connection on its own schedule (Node servers after 5 s), and a request sent
 * on one it is closing would fail.
 */
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import {
  createProxyMiddleware,
  debugProxyErrorsPlugin,
  fixRequestBody,
  proxyEventsPlugin,
  responseInterceptor,
  type Options,
  type RequestHandler,
} from "http-proxy-middleware";
import type { Logger } from "pino";
import { withoutFields } from "./hidden.js";
import { sendJson, sendPage, wantsHtml } from "./pages.js";

/** What the gateway decided about a request, for the forwarder. */
export interface Route {
  port: number;
  toolName: string;
  studioUrl: string;
  /** Headers to set on the forwarded request (null: remove). */
  headers: Record<string, string | null>;
  /** Fields of the tool's JSON answer this client must not see (the registry's `hidden`). */
  hide?: readonly string[];
}

const routes = new WeakMap<IncomingMessage, Route>();
/** Requests whose tool went silent past the idle limit (http-proxy reports them as a hang-up). */
const timedOut = new WeakSet<IncomingMessage>();

export function setRoute(req: IncomingMessage, route: Route): void {
  routes.set(req, route);
}

function routeOf(req: IncomingMessage): Route {
  const route = routes.get(req);
  if (!route) throw new Error("a request reached the forwarder without a route");
  return route;
}

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const socket = req.socket;
  const proto =
    (req.headers["x-forwarded-proto"] as string | undefined) ??
    ((socket as { encrypted?: boolean }).encrypted ? "https" : "http");
  const forwardedFor = req.headers["x-forwarded-for"];
  const address = socket.remoteAddress ?? "";
  return {
    "x-forwarded-proto": proto.split(",")[0]!.trim(),
    "x-forwarded-host": (req.headers["x-forwarded-host"] as string | undefined) ?? req.headers.host ?? "",
    "x-forwarded-for": forwardedFor ? `${String(forwardedFor)}, ${address}` : address,
  };
}

function applyHeaders(proxyReq: ClientRequest, req: IncomingMessage): void {
  const route = routeOf(req);
  for (const [name, value] of Object.entries({ ...forwardedHeaders(req), ...route.headers })) {
    if (value === null) proxyReq.removeHeader(name);
    else proxyReq.setHeader(name, value);
  }
}

/** An idle kept-alive connection to a tool is closed after this long (below Node servers' 5 s). */
export const UPSTREAM_FREE_SOCKET_MS = 4_000;
/** At most this many idle connections are kept per tool port. */
export const UPSTREAM_FREE_SOCKETS = 32;

export interface ForwarderOptions {
  logger: Logger;
  /** An upstream that sends nothing for this long is cut (504). */
  upstreamIdleMs: number;
}

export interface Forwarder {
  handler: RequestHandler;
  /** The same, for an answer whose route names fields to hide: read whole (it is small JSON), then sent. */
  hiding: RequestHandler;
  /** Closes the idle connections to the tools (at shutdown). */
  close(): void;
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const agent = new http.Agent({
    keepAlive: true,
    timeout: UPSTREAM_FREE_SOCKET_MS,
    maxFreeSockets: UPSTREAM_FREE_SOCKETS,
    scheduling: "lifo",
  });
  const takeAnswer = (proxyRes: IncomingMessage, res: ServerResponse) => {
    // Connection and Keep-Alive are about the kept connection to the tool, not the client's: the client's
    // own ("close" included) is answered by the studio's server.
    delete proxyRes.headers.connection;
    delete proxyRes.headers["keep-alive"];
    // The tool's own cookies would replace the gateway's renewed one: both go.
    const ours = res.getHeader("set-cookie");
    const theirs = proxyRes.headers["set-cookie"];
    if (ours !== undefined && theirs)
      proxyRes.headers["set-cookie"] = [...theirs, ...(Array.isArray(ours) ? ours : [String(ours)])];
  };
  const common = {
    router: (req) => `http://127.0.0.1:${routeOf(req).port}`,
    agent,
    changeOrigin: false,
    xfwd: false,
    ws: false,
    proxyTimeout: options.upstreamIdleMs,
    // Not the default logger (it would log URLs with keys) nor its error page: the `on` handlers below, and
    // the guard that ends an upstream answer when the client is gone.
    ejectPlugins: true,
    plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
    on: {
      proxyReq: (proxyReq, req) => {
        applyHeaders(proxyReq, req);
        // Connection is hop-by-hop: the client's "close" is for its own connection, not the kept one.
        proxyReq.setHeader("connection", "keep-alive");
        fixRequestBody(proxyReq, req);
        proxyReq.once("timeout", () => timedOut.add(req));
      },
      proxyReqWs: (proxyReq, req) => applyHeaders(proxyReq, req),
      proxyRes: (proxyRes: IncomingMessage, _req: IncomingMessage, res: ServerResponse) =>
        takeAnswer(proxyRes, res),
      error: (error: Error, req: IncomingMessage, target: ServerResponse | Socket) => {
        const route = routes.get(req);
        const code = (error as NodeJS.ErrnoException).code;
        if (!("writeHead" in target)) {
          target.destroy();
          return;
        }
        const res = target;
        const late = timedOut.has(req);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const name = route?.toolName ?? "The tool";
        // The studio saw the tool running, yet its port is closed or its connection ended unanswered: it
        // restarts in place (ComfyUI-Manager's Restart), or it has just stopped. A page tries again, and
        // then finds it back or shows the studio's word on it.
        const sentence = late
          ? `${name} did not answer in time.`
          : `${name} is not answering right now (${code ?? error.message}); it may be restarting itself, or it stopped.`;
        options.logger.warn(
          { err: error, tool: name, timed_out: late },
          "the gateway could not reach a tool",
        );
        if (wantsHtml(req))
          sendPage(
            res,
            late ? 504 : 502,
            `${name} did not answer`,
            late ? sentence : `${sentence} This page tries again every few seconds.`,
            route?.studioUrl ?? "/",
            !late,
          );
        else sendJson(res, late ? 504 : 502, { success: false, message: sentence });
      },
    },
  } satisfies Options<IncomingMessage, ServerResponse>;
  const hide = responseInterceptor<IncomingMessage, ServerResponse>((body, proxyRes, req, res) => {
    // Not kept by a cache, nor matched to the full answer by its tag.
    res.removeHeader("etag");
    res.setHeader("cache-control", "no-store");
    return Promise.resolve(withoutFields(body, proxyRes, routeOf(req).hide ?? []));
  });
  return {
    handler: createProxyMiddleware<IncomingMessage, ServerResponse>(common),
    hiding: createProxyMiddleware<IncomingMessage, ServerResponse>({
      ...common,
      selfHandleResponse: true,
      on: {
        ...common.on,
        proxyRes: (proxyRes, req, res) => {
          takeAnswer(proxyRes, res);
          // The interceptor ends the answer itself, also when the tool's answer breaks off; it never rejects.
          void hide(proxyRes, req, res);
        },
      },
    }),
    close: () => agent.destroy(),
  };
}
