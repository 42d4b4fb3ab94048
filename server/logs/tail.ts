import type { LogFile } from "./logfile.js";

/** The last `count` lines of a log (from its last 16 KiB). */
export async function tailLines(log: LogFile, count: number): Promise<string> {
  const end = await log.end();
  const chunk = await log.read(Math.max(0, end - 16 * 1024));
  return chunk.content
    .split("\n")
    .filter((line) => line !== "")
    .slice(-count)
    .join("\n");
}
