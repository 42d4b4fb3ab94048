/**
 * Talking to the studio: JSON in, JSON out, and every failure turned into a sentence a person can act on.
 *
 * ```ts
 * const { tools } = await getJson<{ tools: ToolStatus[] }>("/tools");
 * await postJson("/start_session", { tool_id: "comfy-ui" }); // throws ApiError with the server's message
 * ```
 */

export class ApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or 0 when the studio could not be reached. */
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The difference between the studio's clock and this browser's, from the answers' Date headers. */
export const clock = {
  offsetMs: 0,
  now(): number {
    return Date.now() + this.offsetMs;
  },
};

function learnClock(response: Response): void {
  const header = response.headers.get("Date");
  if (!header) return;
  const server = Date.parse(header);
  if (Number.isNaN(server)) return;
  // The header has whole seconds: only a clear difference is worth correcting.
  const offset = server - Date.now();
  clock.offsetMs = Math.abs(offset) > 2000 ? offset : 0;
}

type Answer = { success?: boolean; message?: string } & Record<string, unknown>;

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
      "The studio could not be reached. Check your connection; the studio may be restarting.",
      0,
    );
  }
  learnClock(response);
  const data = (await response.json().catch(() => null)) as Answer | null;
  if (!response.ok || data === null || data.success === false) {
    let message = typeof data?.message === "string" && data.message !== "" ? data.message : "";
    if (response.status === 401 && message === "")
      message = "Your login has ended: reload the page and log in again.";
    if (message === "") {
      message = response.ok
        ? "The studio sent an answer the page could not read; try again."
        : `The studio answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}; try again.`;
    }
    throw new ApiError(message, response.status);
  }
  return data as T;
}

export function getJson<T>(url: string): Promise<T> {
  return request<T>("GET", url);
}

export function postJson<T = Answer>(url: string, body: Record<string, unknown> = {}): Promise<T> {
  return request<T>("POST", url, body);
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
