/** A tool's own token (see the registry's `upstreamToken`), derived from the session secret: stable across restarts. */
import { createHmac } from "node:crypto";
import type { ToolDefinition } from "./registry.js";

export function toolToken(secret: string, toolId: string): string {
  return createHmac("sha256", secret).update(`tool-token:${toolId}`).digest("base64url").slice(0, 32);
}

/** The header the gateway and the studio's own probes send to `tool`, or none. */
export function tokenHeaders(tool: ToolDefinition, secret: string | undefined): Record<string, string> {
  const token = tool.upstreamToken;
  return token && secret ? { [token.header]: `${token.scheme} ${toolToken(secret, tool.id)}` } : {};
}
