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
    /** The rest of the answer (a 409 may say more: how many prompts are queued, and whose). */
    readonly fields: Record<string, unknown> = {},
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
    throw new ApiError(message, response.status, data ?? {});
  }
  return data as T;
}

/** A query string from defined values: `query({ artist, cursor })` -> `artist=Rosa`. */
export function query(values: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== null && value !== undefined) params.set(name, String(value));
  return params.toString();
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

/** POSTs JSON and saves the answer as a file (a zip of a selection); JSON errors become ApiErrors. */
export async function postForDownload(
  url: string,
  body: Record<string, unknown>,
  fallbackName: string,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError("The studio could not be reached. Check your connection and try again.", 0);
  }
  if (!response.ok) {
    const data = (await response.json().catch(() => null)) as { message?: unknown } | null;
    const message =
      typeof data?.message === "string" ? data.message : `The studio answered ${response.status}.`;
    throw new ApiError(message, response.status);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition) ?? /filename="?([^";]+)"?/i.exec(disposition);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = named?.[1] ? decodeURIComponent(named[1]) : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}
