/**
 * HTTP for the downloader: one request at a time with redirects followed by hand, so that a token's
 * `Authorization` header goes only to the token's own host and never to a CDN or any other host.
 *
 * ```ts
 * const { res, url } = await openUrl("https://huggingface.co/org/repo/resolve/main/a.safetensors", {
 *   method: "GET", headers: { Range: "bytes=100-" }, tokens: { hf }, signal, pool,
 * });
 * ```
 */
import type { Answer } from "./wire/answer.js";
import type { ConnectionPool } from "./wire/pool.js";
import { request } from "./wire/request.js";

export type TokenKind = "hf" | "civitai";

export interface Tokens {
  hf?: string;
  civitai?: string;
}

/** Which token goes to which host (`host` or `host:port`). Example: `{ ...DEFAULT_TOKEN_HOSTS, "127.0.0.1:8080": "hf" }`. */
export const DEFAULT_TOKEN_HOSTS: Readonly<Record<string, TokenKind>> = Object.freeze({
  "huggingface.co": "hf",
  "civitai.com": "civitai",
});

/** How a person names each kind of token. Example: `TOKEN_NAMES.hf // "Hugging Face"`. */
export const TOKEN_NAMES: Readonly<Record<TokenKind, string>> = Object.freeze({
  hf: "Hugging Face",
  civitai: "Civitai",
});

const USER_AGENT = "ComfyStudio-downloader/1.0";

/** An answer with an HTTP status the downloader does not take as success. Example: `if (e instanceof HttpStatusError && e.status === 404) ...`. */
export class HttpStatusError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "HttpStatusError";
  }
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The kind of token `url`'s host takes, if any (matched on `host:port` first, then the host name).
 *
 * ```ts
 * tokenKindFor(new URL("https://huggingface.co/a/b"), DEFAULT_TOKEN_HOSTS); // "hf"
 * ```
 */
export function tokenKindFor(
  url: URL,
  tokenHosts: Readonly<Record<string, TokenKind>>,
): TokenKind | undefined {
  const byHost = new Map(Object.entries(tokenHosts).map(([host, kind]) => [host.toLowerCase(), kind]));
  return byHost.get(url.host.toLowerCase()) ?? byHost.get(url.hostname.toLowerCase());
}

/**
 * The `Authorization` header value for a request to `url`, or undefined. A token is sent only to its own
 * host, and only over https (plain http only to a loopback address).
 *
 * ```ts
 * authorizationFor(new URL("https://huggingface.co/x"), { hf: "hf_abc" }, DEFAULT_TOKEN_HOSTS); // "Bearer hf_abc"
 * authorizationFor(new URL("https://cdn-lfs.hf.co/x"), { hf: "hf_abc" }, DEFAULT_TOKEN_HOSTS); // undefined
 * ```
 */
export function authorizationFor(
  url: URL,
  tokens: Tokens,
  tokenHosts: Readonly<Record<string, TokenKind>>,
): string | undefined {
  const kind = tokenKindFor(url, tokenHosts);
  if (!kind) return undefined;
  const token = tokens[kind];
  if (!token) return undefined;
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) return undefined;
  return `Bearer ${token}`;
}

export interface OpenOptions {
  method: "GET" | "HEAD";
  /** Extra request headers (e.g. `Range`); `Authorization` is added per hop, never taken from here. */
  headers?: Record<string, string>;
  tokens: Tokens;
  tokenHosts?: Readonly<Record<string, TokenKind>>;
  signal: AbortSignal;
  /** Fail the request when no answer begins for this long (the body is watched by the reader). */
  idleTimeoutMs?: number;
  /** The run's kept-alive connections. */
  pool: ConnectionPool;
  maxRedirects?: number;
  /** Stop at a redirect that announces the size (`X-Linked-Size`) instead of following it (for HEAD). */
  stopOnLinkedSize?: boolean;
}

export interface OpenResult {
  /** The first answer that is not a redirect (or the sized redirect, with `stopOnLinkedSize`), body unread. */
  res: Answer;
  /** The URL that gave `res`. */
  url: URL;
  /** A size announced on a redirect hop (Hugging Face's `X-Linked-Size`), if any. */
  linkedSize?: number;
}

/**
 * Sends a request and follows redirects by hand (at most `maxRedirects`), recomputing `Authorization` for
 * each hop from that hop's host. Resolves with the first answer that is not a redirect; the caller reads or
 * discards its body.
 *
 * ```ts
 * const { res } = await openUrl(url, { method: "HEAD", tokens: {}, signal, pool });
 * res.discard();
 * ```
 */
export async function openUrl(start: string, opts: OpenOptions): Promise<OpenResult> {
  const tokenHosts = opts.tokenHosts ?? DEFAULT_TOKEN_HOSTS;
  const maxRedirects = opts.maxRedirects ?? 10;
  let url = new URL(start);
  let method = opts.method;
  let linkedSize: number | undefined;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {
      "User-Agent": USER_AGENT,
      "Accept-Encoding": "identity",
      ...opts.headers,
    };
    const auth = authorizationFor(url, opts.tokens, tokenHosts);
    if (auth) headers.Authorization = auth;
    const res = await request(url, {
      method,
      headers,
      signal: opts.signal,
      headTimeoutMs: opts.idleTimeoutMs ?? 60_000,
      pool: opts.pool,
    });
    const status = res.statusCode;
    const linked = Number(res.headers["x-linked-size"]);
    if (Number.isSafeInteger(linked) && linked >= 0) linkedSize = linked;
    if (![301, 302, 303, 307, 308].includes(status)) return { res, url, linkedSize };
    if (opts.stopOnLinkedSize && linkedSize !== undefined) return { res, url, linkedSize };
    res.discard();
    const location = res.headers.location;
    if (!location)
      throw new HttpStatusError(`${url.host} answered ${status} without a Location`, status, false);
    if (hop >= maxRedirects) throw new HttpStatusError(`more than ${maxRedirects} redirects`, status, false);
    const next = new URL(location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new HttpStatusError(`${url.host} redirected to a ${next.protocol} URL`, status, false);
    }
    if (status === 303) method = method === "HEAD" ? "HEAD" : "GET";
    url = next;
  }
}

/** Milliseconds from a `Retry-After` header (seconds or an HTTP date). Example: `retryAfterMs("3") // 3000`. */
export function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Turns an answer that is not 200/206 into an error a person can act on: 401/403 name the missing or
 * refused token, 404 says not found, 429 and 5xx are retryable.
 *
 * ```ts
 * if (status >= 400) throw statusError(res.statusCode, url, startUrl, tokens, tokenHosts);
 * ```
 */
export function statusError(
  status: number,
  answeredBy: URL,
  startUrl: URL,
  tokens: Tokens,
  tokenHosts: Readonly<Record<string, TokenKind>>,
  retryAfter?: number,
): HttpStatusError {
  if (status === 401 || status === 403) {
    const kind = tokenKindFor(answeredBy, tokenHosts) ?? tokenKindFor(startUrl, tokenHosts);
    if (kind === "hf") {
      return new HttpStatusError(
        tokens.hf
          ? `the Hugging Face token was refused (HTTP ${status}): check that it has read access and that you accepted the model's license on huggingface.co`
          : `needs a Hugging Face token: the model is gated or private (HTTP ${status}). Accept its license on huggingface.co and give a token with read access`,
        status,
        false,
      );
    }
    if (kind === "civitai") {
      return new HttpStatusError(
        tokens.civitai
          ? `the Civitai token was refused (HTTP ${status}): check the API key in your Civitai account settings`
          : `needs a Civitai token (HTTP ${status}): create an API key in your Civitai account settings and give it`,
        status,
        false,
      );
    }
    // A refused signed CDN link can be an expired one: a new try starts again from the original URL.
    const afterRedirect = answeredBy.href !== startUrl.href;
    return new HttpStatusError(`access denied by ${answeredBy.host} (HTTP ${status})`, status, afterRedirect);
  }
  if (status === 404) return new HttpStatusError(`not found (HTTP 404) at ${answeredBy.host}`, status, false);
  if (status === 408 || status === 429 || status >= 500) {
    return new HttpStatusError(`${answeredBy.host} answered HTTP ${status}`, status, true, retryAfter);
  }
  return new HttpStatusError(`${answeredBy.host} answered HTTP ${status}`, status, false);
}
