/**
 * Turns raw process output into plain text: ANSI colour and cursor codes are removed, and a carriage
 * return (a progress bar redrawing its line) replaces the line instead of piling copies up.
 *
 * ```ts
 * const text = new TextCleaner();
 * text.push("\x1b[32mok\x1b[0m\n50%\r60%"); // { lines: "ok\n", live: "60%" }
 * ```
 */

/* eslint-disable no-control-regex -- process output is made of control characters; these patterns remove them */
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
const OTHER_ESCAPE = /\x1b[@-Z\\-_]/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;
/** An escape sequence cut off at the end of a chunk: kept for the next one. */
const PARTIAL = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?$/;
/** A progress line redrawn without end (no newline) is kept to this many characters. */
const LIVE_MAX = 4000;
/* eslint-enable no-control-regex */

export function stripAnsi(text: string): string {
  return text.replace(OSC, "").replace(CSI, "").replace(OTHER_ESCAPE, "").replace(CONTROL, "");
}

/** What a line shows after carriage returns: the last thing written over it. */
function settle(line: string): string {
  if (!line.includes("\r")) return line;
  const parts = line.split("\r");
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== "") return parts[i]!;
  return "";
}

export class TextCleaner {
  private carry = "";
  /** The raw text of the line still being written (after the last newline). */
  private liveRaw = "";

  reset(): void {
    this.carry = "";
    this.liveRaw = "";
  }

  /** Feeds a chunk; answers the completed lines (each ending in \n) and what the unfinished line shows. */
  push(chunk: string): { lines: string; live: string } {
    let text = this.carry + chunk;
    this.carry = "";
    const partial = PARTIAL.exec(text);
    if (partial) {
      this.carry = partial[0];
      text = text.slice(0, partial.index);
    }
    text = stripAnsi(text).replace(/\r\n/g, "\n");
    const pieces = (this.liveRaw + text).split("\n");
    const last = pieces.pop() ?? "";
    const lines = pieces.length > 0 ? pieces.map(settle).join("\n") + "\n" : "";
    const live = settle(last);
    this.liveRaw = (last.endsWith("\r") ? `${live}\r` : live).slice(-LIVE_MAX);
    return { lines, live };
  }
}
