/**
 * One caption from an OpenAI-compatible vision chat endpoint (`POST {base_url}/chat/completions` with the
 * image as a data URL): OpenAI, Gemini's OpenAI-compatible endpoint, or a local server. Retries 429 and
 * 5xx answers, timeouts and dropped connections with back-off, honouring `Retry-After`.
 */
import { STATUS_CODES } from "node:http";
import { readInside } from "@comfystudio/kit/paths";
import sharp from "sharp";
import { backoffDelay, CancelledError, parseRetryAfter, sleep } from "./backoff.js";
import { cleanModelCaption } from "./caption-text.js";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest `Retry-After` wait honoured; longer asks are shortened to this. */
  maxRetryAfterMs: number;
  /** One request (answer included) may take this long. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 2_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 120_000,
};

export interface CaptionRequest {
  baseUrl: string;
  model: string;
  apiKey: string;
  prompt: string;
  imageDataUrl: string;
  signal: AbortSignal;
}

export class CaptionError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "CaptionError";
  }
}

export function chatCompletionsUrl(baseUrl: string): string {
  return `${baseUrl.trim().replace(/\/+$/, "")}/chat/completions`;
}

/**
 * The image `dir/name` scaled to at most 1024 px on its long side, as a JPEG data URL (smaller, faster
 * requests); read as the kit opens files, never through a link.
 */
export async function encodeImageForModel(dir: string, name: string): Promise<string> {
  const jpeg = await sharp(await readInside(dir, name))
    .autoOrient()
    .resize(1024, 1024, { fit: "inside", withoutEnlargement: true })
    .flatten({ background: "#ffffff" })
    .jpeg({ quality: 85 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString("base64")}`;
}

/** The text of the first choice; `content` may be a string or a list of parts. */
function contentOf(body: unknown): string | null {
  const message = (body as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message;
  const content = message?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === "string" ? part : ((part as { text?: unknown })?.text ?? "")))
      .filter((text): text is string => typeof text === "string")
      .join("");
  }
  return null;
}

/** What a person can do about an error status, in this tool's own words. */
const STATUS_HINTS: Record<number, string> = {
  401: "check the API key",
  403: "check the API key and what it may use",
  404: "check the base URL and the model name",
  429: "the endpoint is limiting requests",
};

/**
 * `The endpoint answered 404 Not Found; check ...`: the status line with the standard reason phrase, never
 * the endpoint's own reason or body (the base URL may point anywhere, and its answers stay on the server).
 */
export function statusMessage(status: number): string {
  const phrase = STATUS_CODES[status];
  const hint = STATUS_HINTS[status];
  return `The endpoint answered ${status}${phrase ? ` ${phrase}` : ""}${hint ? `; ${hint}` : ""}.`;
}

interface Attempt {
  caption?: string;
  error?: CaptionError;
  retryable?: boolean;
  retryAfterMs?: number | null;
}

async function attemptOnce(request: CaptionRequest, policy: RetryPolicy): Promise<Attempt> {
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const signal = AbortSignal.any([request.signal, timeout]);
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  if (request.apiKey !== "") headers.Authorization = `Bearer ${request.apiKey}`;
  const body = JSON.stringify({
    model: request.model,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: request.prompt },
          { type: "image_url", image_url: { url: request.imageDataUrl } },
        ],
      },
    ],
  });
  try {
    const response = await fetch(chatCompletionsUrl(request.baseUrl), {
      method: "POST",
      headers,
      body,
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return {
        error: new CaptionError(statusMessage(response.status), response.status),
        retryable: response.status === 429 || response.status >= 500,
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      };
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { error: new CaptionError("The endpoint's answer is not JSON; check the base URL.") };
    }
    const content = contentOf(parsed);
    const caption = content === null ? "" : cleanModelCaption(content);
    if (caption === "")
      return { error: new CaptionError("The endpoint answered without a caption."), retryable: true };
    return { caption };
  } catch (error) {
    if (request.signal.aborted) throw new CancelledError();
    if (timeout.aborted) {
      return {
        error: new CaptionError(
          `The endpoint did not answer within ${Math.round(policy.timeoutMs / 1000)} s.`,
        ),
        retryable: true,
      };
    }
    // Only the error code (ECONNREFUSED, ENOTFOUND...): a message may quote what the other side said.
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    const detail = typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : "";
    return {
      error: new CaptionError(`Could not reach the endpoint${detail}.`),
      retryable: true,
    };
  }
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  reason: string;
}

/** Asks for one caption, retrying as the policy allows; throws CaptionError, or CancelledError when aborted. */
export async function requestCaption(
  request: CaptionRequest,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  onRetry?: (event: RetryEvent) => void,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    if (request.signal.aborted) throw new CancelledError();
    const result = await attemptOnce(request, policy);
    if (result.caption !== undefined) return result.caption;
    const error = result.error ?? new CaptionError("The endpoint failed.");
    if (!result.retryable || attempt >= policy.maxAttempts) throw error;
    const asked = result.retryAfterMs;
    const delayMs =
      asked !== null && asked !== undefined
        ? Math.min(asked, policy.maxRetryAfterMs)
        : backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs);
    onRetry?.({ attempt, delayMs, reason: error.message });
    await sleep(delayMs, request.signal);
  }
}
