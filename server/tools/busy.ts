/**
 * Whether a tool is busy without anyone in it, by its registry entry's `busy` probe: ComfyUI's queue
 * (`GET /queue`: `queue_running` and `queue_pending`, each item `[number, id, prompt, extra_data, ...]`,
 * where the gateway put `studio_artist` in `extra_data`), or Jupyter's kernels (`GET /api/kernels`, a list
 * with each kernel's `execution_state`).
 */
import http from "node:http";
import type { ToolDefinition } from "./registry.js";

export interface Busy {
  /** Prompts running or waiting, or busy kernels. */
  count: number;
  /** Whose work it is, per artist (ComfyUI), "someone" when it does not say. */
  by: Record<string, number>;
}

function getJson(
  port: number,
  path: string,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<unknown> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: "127.0.0.1", port, path, headers, agent: false, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          try {
            resolve(response.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null);
          } catch {
            resolve(null);
          }
        });
      },
    );
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(null));
  });
}

function artistOf(item: unknown): string {
  const extra = Array.isArray(item) ? (item[3] as { studio_artist?: unknown } | undefined) : undefined;
  return typeof extra?.studio_artist === "string" ? extra.studio_artist : "someone";
}

/** The tool's busy work on `port`, or null when it has no probe or did not answer. */
export async function busyOf(
  tool: ToolDefinition,
  port: number,
  headers: Record<string, string> = {},
  timeoutMs = 2_000,
): Promise<Busy | null> {
  if (!tool.busy) return null;
  const answer = await getJson(port, tool.busy.path, timeoutMs, headers);
  if (answer === null) return null;
  const by: Record<string, number> = {};
  let count = 0;
  if (tool.busy.kind === "comfy-queue") {
    const queue = answer as { queue_running?: unknown; queue_pending?: unknown };
    for (const list of [queue.queue_running, queue.queue_pending]) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const artist = artistOf(item);
        by[artist] = (by[artist] ?? 0) + 1;
        count++;
      }
    }
  } else if (Array.isArray(answer)) {
    count = answer.filter(
      (kernel) => (kernel as { execution_state?: unknown })?.execution_state === "busy",
    ).length;
    if (count > 0) by.someone = count;
  }
  return { count, by };
}

/** "3 prompts (2 by Rosa, 1 by someone)". */
export function describeBusy(busy: Busy, noun: string): string {
  const whose = Object.entries(busy.by)
    .sort((a, b) => b[1] - a[1])
    .map(([artist, count]) => `${count} by ${artist}`)
    .join(", ");
  return `${busy.count} ${noun}${busy.count === 1 ? "" : "s"} (${whose})`;
}
