/**
 * Why a failed job failed, in its own words: the last meaningful error line of its log. Setup scripts end
 * every failure with `[tag] error: <sentence>`; other programs' `Error: ...`/`fatal: ...` lines count too.
 */
import type { LogFile } from "../logs/logfile.js";
import { isStudioNote } from "../logs/note.js";
import { tailLines } from "../logs/tail.js";

const ERROR_LINE = /(?:^|\s|\])(?:error|fatal|ERROR|Error|FATAL):\s*(\S.*)$/;

export function lastErrorLine(text: string): string | null {
  const lines = text.split("\n").reverse();
  for (const line of lines) {
    if (isStudioNote(line)) continue;
    const match = ERROR_LINE.exec(line.trim());
    if (match?.[1]) return match[1].trim().slice(0, 300);
  }
  return null;
}

export async function failureReason(log: LogFile): Promise<string | null> {
  try {
    return lastErrorLine(await tailLines(log, 200));
  } catch {
    return null;
  }
}
