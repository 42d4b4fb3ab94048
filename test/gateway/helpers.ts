/**
 * The gateway tests' kit: studios whose gateway listens on the tool ports, entering a tool through
 * `/open` as a browser does, ComfyUI user ids, raw HTTP (with any Host header) and WebSockets.
 *
 * ```ts
 * const studio = useGatewayStudios();
 * const s = await studio({ env: { STUDIO_PASSWORD: "pw" } });
 * const rosa = await signInAs(s, ROSA, "pw");
 * await runTool(rosa, "comfy-ui");
 * const { cookie } = await enter(rosa, "comfy-ui");
 * await fetch(`${toolOrigin(s, "comfy-ui")}/queue`, { headers: { cookie } });
 * ```
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import WebSocket from "ws";
import type { ToolId } from "../../server/config.js";
import { TICKET_PARAM } from "../../server/gateway/tickets.js";
import { post, useStudios, waitState, type Agent } from "../helpers/http.js";
import { install, type TestDirs, type TestStudio, type TestStudioOptions } from "../helpers/studio.js";

export const ROSA = "Rosa Macak Cizmesija";
export const ZOE = "Zoë Šimić";
export const RAZVAN = "Razvan Matei";

/** Test studios (cleaned up after each test) with ComfyUI installed and the gateway on the tool ports. */
export function useGatewayStudios(): (options?: TestStudioOptions) => Promise<TestStudio> {
  const studio = useStudios();
  return async (options = {}) => {
    const s = await studio(options);
    install(s.dirs, "ComfyUI");
    await s.studio.gateway.start();
    return s;
  };
}

export const toolOrigin = (s: TestStudio, id: ToolId) => `http://127.0.0.1:${s.config.toolPorts[id]}`;
export const wsOrigin = (s: TestStudio, id: ToolId) => `ws://127.0.0.1:${s.config.toolPorts[id]}`;

/** A browser that has logged in (when `password` is given) and picked `artist`. */
export async function signInAs(s: TestStudio, artist: string, password?: string): Promise<Agent> {
  const agent = s.agent();
  if (password !== undefined) await post(agent, "/login", { password }).expect(200);
  await post(agent, "/set_artist", { artist }).expect(200);
  return agent;
}

/** Starts `id` as the agent's artist (unless it runs) and waits until it is running. */
export async function runTool(agent: Agent, id: ToolId = "comfy-ui"): Promise<Record<string, unknown>> {
  const res = await post(agent, "/start_session", { tool_id: id });
  if (res.status !== 200 && res.status !== 202) throw new Error(`start ${id}: ${res.status} ${res.text}`);
  return (await waitState(agent, "running", id, 20_000)) as Record<string, unknown>;
}

/** `GET /open/{id}` as the agent: the tool URL it redirects to (with the ticket). */
export async function openUrl(agent: Agent, id: ToolId, next?: string): Promise<URL> {
  const query = next === undefined ? "" : `?next=${encodeURIComponent(next)}`;
  const res = await agent.get(`/open/${id}${query}`).expect(302);
  return new URL(res.headers.location as string);
}

export interface Entered {
  /** `name=value` of the tool port's cookie, for a Cookie header. */
  cookie: string;
  setCookie: string;
  /** Where the swap redirected to (the path without the ticket). */
  location: string;
  ticket: string;
}

/** Follows Open into the tool as a browser: the ticket swapped for the port's cookie. */
export async function enter(
  agent: Agent,
  id: ToolId,
  options: { next?: string; headers?: Record<string, string> } = {},
): Promise<Entered> {
  const url = await openUrl(agent, id, options.next);
  const ticket = url.searchParams.get(TICKET_PARAM);
  if (!ticket) throw new Error(`no ticket in ${url.href}`);
  const res = await fetch(url, {
    redirect: "manual",
    headers: { Accept: "text/html", ...options.headers },
    signal: AbortSignal.timeout(5_000),
  });
  const setCookie = res.headers.get("set-cookie");
  if (res.status !== 302 || !setCookie) throw new Error(`the ticket was not swapped: ${res.status}`);
  return { cookie: setCookie.split(";")[0]!, setCookie, location: res.headers.get("location") ?? "", ticket };
}

/** The artist's ComfyUI user id, from ComfyUI's users.json. */
export function comfyUserId(dirs: TestDirs, artist: string): string {
  const users = JSON.parse(
    readFileSync(path.join(dirs.workspace, "ComfyUI", "user", "users.json"), "utf8"),
  ) as Record<string, string>;
  const id = Object.keys(users).find((key) => users[key] === artist);
  if (!id) throw new Error(`${artist} has no ComfyUI user`);
  return id;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would set Host itself). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: false, timeout: 5_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer from ${url} within 5 s`)));
    request.on("error", reject);
    request.end(options.body);
  });
}

/** A WebSocket that is open, with every message it received (text) in `messages`. */
export interface OpenSocket {
  ws: WebSocket;
  messages: string[];
  /** Resolves with the close code. */
  closed: Promise<number>;
}

export function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: 5_000, ...options });
    const messages: string[] = [];
    const closed = new Promise<number>((done) => ws.once("close", (code) => done(code)));
    ws.on("message", (data, isBinary) =>
      messages.push(isBinary ? `<${(data as Buffer).length} bytes>` : (data as Buffer).toString("utf8")),
    );
    ws.once("open", () => resolve({ ws, messages, closed }));
    ws.once("unexpected-response", (req, res) => {
      reject(new Error(`WebSocket refused with ${res.statusCode}`));
      req.destroy();
    });
    ws.on("error", reject);
  });
}

/** The status a refused WebSocket upgrade got, and its body. */
export function refusedSocket(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: 5_000, ...options });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error(`the WebSocket to ${url} was let through`));
    });
    ws.once("unexpected-response", (req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        req.destroy();
      });
      res.on("error", reject);
    });
    ws.on("error", reject);
  });
}
