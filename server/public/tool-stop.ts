/** Stopping a tool: while ComfyUI still has prompts queued the studio says how many and whose, and asks. */
import { ApiError, postJson } from "./api.js";
import type { ConfirmOptions } from "./dialogs.js";
import type { ToolStatus } from "./types.js";

export type Answer = ToolStatus & { success: boolean };

/** Stops `tool`; after a 409 for queued prompts, asks and forces when the artist agrees (else undefined). */
export async function stopAsking(
  tool: ToolStatus,
  confirm: (options: ConfirmOptions) => Promise<boolean>,
): Promise<ToolStatus | undefined> {
  try {
    return await postJson<Answer>("/stop_session", { tool_id: tool.tool_id });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409 || typeof error.body.queued !== "number")
      throw error;
    const by = Array.isArray(error.body.by) ? (error.body.by as unknown[]).map(String) : [];
    const ok = await confirm({
      title: `Stop ${tool.name} with ${error.body.queued} queued?`,
      body: `${error.message}${by.length ? ` Queued by ${by.join(", ")}.` : ""} Their prompts are lost when it stops.`,
      confirm: "Stop anyway",
      danger: true,
    });
    if (!ok) return undefined;
    return await postJson<Answer>("/stop_session", { tool_id: tool.tool_id, force: true });
  }
}
