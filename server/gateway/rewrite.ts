/**
 * The registry's rewrites of a request on its way to a tool, from the tool's `rewrites` list: ComfyUI's
 * users endpoints are answered by the gateway itself (the studio owns the users), and a prompt gets the
 * artist's output folder in every `filename_prefix` (`ComfyUI/output/{name}`).
 *
 * ```ts
 * if (await rewriteRequest(tool, req, res, who.artist) === "answered") return;
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import getRawBody from "raw-body";
import type { ToolDefinition } from "../tools/registry.js";
import { sendJson } from "./pages.js";
import { isPromptPath, isUsersPath, rewritePrompt } from "./prompt.js";
import { routedPath } from "./routed-path.js";

/** The largest prompt body the gateway reads to rewrite (prompts are JSON, images travel separately). */
export const MAX_PROMPT_BYTES = 32 * 1024 * 1024;

/** Applies the rewrites to `req` (whose url is the tool's); "answered" when the gateway answered itself. */
export async function rewriteRequest(
  tool: ToolDefinition,
  req: IncomingMessage,
  res: ServerResponse,
  artist: string | null,
): Promise<"answered" | "forward"> {
  const pathname = routedPath(req.url ?? "/", []);
  if (tool.rewrites.includes("comfy-user") && isUsersPath(pathname)) {
    // The studio owns the users: the page works as a single-user ComfyUI, each artist as themselves.
    if (req.method === "GET") sendJson(res, 200, { storage: "server", migrated: true });
    else
      sendJson(res, 403, {
        success: false,
        message: "ComfyUI's users are made by the studio, one per artist.",
      });
    return "answered";
  }
  if (tool.rewrites.includes("filename-prefix") && isPromptPath(req.method ?? "", pathname) && artist) {
    const text = await getRawBody(req, { limit: MAX_PROMPT_BYTES, encoding: "utf8" });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      sendJson(res, 400, { success: false, message: "The prompt is not valid JSON." });
      return "answered";
    }
    (req as IncomingMessage & { body?: unknown }).body = rewritePrompt(body, artist);
    req.headers["content-type"] = "application/json";
    // The rewritten body goes with its own Content-Length, never also chunked.
    delete req.headers["transfer-encoding"];
  }
  return "forward";
}
