/**
 * One caption from an OpenAI-compatible vision chat endpoint (`POST {base_url}/chat/completions` with the
 * image as a data URL): OpenAI, Gemini's OpenAI-compatible endpoint, or a local server. Retries 429 and
 * 5xx answers, timeouts and dropped connections with back-off, honouring `Retry-After`.
 */
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

/** The image scaled to at most 1024 px on its long side, as a JPEG data URL (smaller, faster requests). */
export async function encodeImageForModel(file: string): Promise<string> {
  const jpeg = await sharp(file)
    .autoOrient()
    .resize(1024, 1024, { fit: "inside", withoutEnlargement: true })
    .flatten({ background: "#ffffff" })
    .jpeg({ quality: 85 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString("base64")}`;
}

function redact(text: string, secret: string): string {
  return secret.length >= 4 ? text.split(secret).join("[redacted]") : text;
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

/** A short reason from an error answer: its `error.message` when it is JSON, else the start of the text. */
function reasonOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    const message = (first as { error?: { message?: unknown } } | null)?.error?.message;
    if (typeof message === "string") return message.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
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
    const text = await response.text();
    if (!response.ok) {
      const reason = redact(reasonOf(text), request.apiKey);
      return {
        error: new CaptionError(
          `The endpoint answered ${response.status}${reason ? `: ${reason}` : ""}`,
          response.status,
        ),
        retryable: response.status === 429 || response.status >= 500,
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      };
    }
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
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error).message;
    return {
      error: new CaptionError(`Could not reach the endpoint (${redact(String(detail), request.apiKey)}).`),
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
