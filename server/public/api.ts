/**
 * Talking to the studio: the kit's JSON client (the same as the LoRA-Tool's), plus query strings and
 * downloads of POSTed selections.
 *
 * ```ts
 * const { tools } = await getJson<{ tools: ToolStatus[] }>("/tools");
 * await postJson("/start_session", { tool_id: "comfy-ui" }); // throws ApiError with the server's message
 * ```
 */

import { ApiError, jsonClient, messageOf } from "./kit/web/api.js";

export { ApiError, messageOf };

const studio = jsonClient("the studio");
export const { getJson, postJson, clock } = studio;

/** A query string from defined values: `query({ artist, cursor })` -> `artist=Rosa`. */
export function query(values: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== null && value !== undefined) params.set(name, String(value));
  return params.toString();
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
