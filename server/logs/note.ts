/**
 * The studio's own lines in a tool's or a job's log: `[studio {ISO time}] {line}`, told apart from what the
 * process itself wrote (a job's failure reason never comes from them).
 *
 * ```ts
 * await log.append(studioNote("finished: succeeded")); // "[studio 2026-12-01T15:20:00.000Z] finished: succeeded\n"
 * isStudioNote("[studio 2026-...] stopping"); // true
 * ```
 */

const PREFIX = "[studio ";

export function studioNote(line: string, now = new Date()): string {
  return `${PREFIX}${now.toISOString()}] ${line}\n`;
}

export function isStudioNote(line: string): boolean {
  return line.startsWith(PREFIX);
}
