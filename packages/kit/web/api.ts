/**
 * Talking to the server a page came from: JSON in, JSON out, and every failure turned into a sentence a
 * person can act on (the server's own `message` when it sent one). No Node imports: pages load it as
 * `/static/kit/web/api.js`.
 *
 * ```ts
 * const api = jsonClient("the LoRA-Tool");
 * const { datasets } = await api.getJson<{ datasets: DatasetSummary[] }>("/api/datasets");
 * await api.postJson("/api/datasets", { name }); // throws ApiError with the server's message
 * ```
 */

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    message: string,
    /** The HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** The answer's JSON, when it had any. */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type Answer = { success?: boolean; message?: string } & Record<string, unknown>;

export interface JsonClient {
  getJson: <T>(url: string) => Promise<T>;
  postJson: <T = Answer>(url: string, body?: Record<string, unknown>) => Promise<T>;
  /** The server's clock, learned from the answers' Date headers. */
  clock: { offsetMs: number; now(): number };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `name` is who answers, for the messages: "the studio", "the LoRA-Tool". */
export function jsonClient(name: string): JsonClient {
  const Name = capitalize(name);
  const clock = {
    offsetMs: 0,
    now(): number {
      return Date.now() + this.offsetMs;
    },
  };

  function learnClock(response: Response): void {
    const server = Date.parse(response.headers.get("Date") ?? "");
    if (Number.isNaN(server)) return;
    // The header has whole seconds: only a clear difference is worth correcting.
    const offset = server - Date.now();
    clock.offsetMs = Math.abs(offset) > 2000 ? offset : 0;
  }

  function problem(response: Response, data: Answer | null): string {
    if (typeof data?.message === "string" && data.message !== "") return data.message;
    if (response.status === 401) return "Your login has ended: reload the page and log in again.";
    if (response.ok) return `${Name} sent an answer the page could not read; try again.`;
    return `${Name} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}; try again.`;
  }

  async function request<T>(method: "GET" | "POST", url: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        cache: "no-store",
        headers:
          method === "POST"
            ? { "Content-Type": "application/json", Accept: "application/json" }
            : { Accept: "application/json" },
        body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
      });
    } catch {
      throw new ApiError(
        `${Name} could not be reached. Check your connection; ${name} may be restarting.`,
        0,
      );
    }
    learnClock(response);
    const data = (await response.json().catch(() => null)) as Answer | null;
    if (!response.ok || data === null || data.success === false) {
      throw new ApiError(problem(response, data), response.status, data ?? {});
    }
    return data as T;
  }

  return {
    getJson: <T>(url: string) => request<T>("GET", url),
    postJson: <T = Answer>(url: string, body: Record<string, unknown> = {}) => request<T>("POST", url, body),
    clock,
  };
}
