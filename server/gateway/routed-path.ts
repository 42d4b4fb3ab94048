/**
 * A request's path as a tool routes it, for the gateway's rules (changes to a tool, ComfyUI's prompt and
 * users endpoints): percent-decoded (`%2F` and `%70rompt` too), `.` and `..` resolved, runs of slashes as
 * one, optionally in lower case, and with `strip` prefixes taken off its front, in order, each if there.
 * A rule matched on this path cannot be slipped by with another spelling of the same route.
 *
 * ```ts
 * routedPath("/api//v2%2Fmanager/../manager/reboot?x=1", ["/api", "/v2"]); // "/manager/reboot"
 * ```
 */
import { posix } from "node:path";

/** The path of `url` as a tool routes it: decoded, normalized, `strip` prefixes taken off its front. */
export function routedPath(url: string, strip: readonly string[], caseless = false): string {
  let path = url.split(/[?#]/, 1)[0] ?? "";
  try {
    path = decodeURIComponent(path);
  } catch {
    // a broken escape stays as it is, and is matched as it is
  }
  // Dot segments and runs of slashes resolved, as the tool's URL parser does before routing.
  path = posix.normalize(path);
  if (caseless) path = path.toLowerCase();
  for (const prefix of strip) {
    if (path === prefix || path.startsWith(`${prefix}/`)) path = path.slice(prefix.length) || "/";
  }
  return path;
}
