/**
 * The output view's screen: the text of a log as it comes (colour codes and carriage returns cleaned, JSON
 * lines made readable), the line still being written kept live at the end. It stays at the end while the
 * reader is there, keeps their place when they scroll up (with a "jump to the end" button), and drops the
 * oldest output beyond a cap.
 *
 * ```ts
 * const screen = new TerminalScreen({ output, empty, jump });
 * screen.append("Starting ComfyUI\r\n");
 * screen.note("A newer admin job started; showing its output.");   // "— ... —", not part of the log
 * screen.reset();                                                   // empty again, "Waiting for output…"
 * ```
 */
import { TextCleaner } from "./ansi.js";
import { h, setHidden, setText } from "./dom.js";
import { readableLines } from "./log-lines.js";

/** Characters kept on screen; older output is dropped beyond this. */
const KEEP_CHARS = 1_000_000;
const TRIM_TO_CHARS = 800_000;
/** How close to the end counts as "at the bottom" (px). */
const BOTTOM_SLACK = 24;

export interface ScreenElements {
  output: HTMLPreElement;
  /** What shows while there is no output (a wait, a reason). */
  empty: HTMLElement;
  jump: HTMLButtonElement;
}

export class TerminalScreen {
  private kept = 0;
  private readonly cleaner = new TextCleaner();
  private live: Text;

  constructor(private readonly el: ScreenElements) {
    this.live = document.createTextNode("");
    el.output.append(this.live);
    el.output.addEventListener("scroll", () => {
      if (this.atBottom()) setHidden(el.jump, true);
    });
    el.jump.addEventListener("click", () => {
      this.scrollToEnd();
      setHidden(el.jump, true);
      el.output.focus();
    });
  }

  /** Whether nothing has been shown since the last reset. */
  get isBlank(): boolean {
    return this.kept === 0;
  }

  /** Empties the screen. */
  reset(): void {
    this.el.output.replaceChildren();
    this.live = document.createTextNode("");
    this.el.output.append(this.live);
    this.kept = 0;
    this.cleaner.reset();
    setHidden(this.el.empty, false);
    setText(this.el.empty, "Waiting for output…");
    setHidden(this.el.jump, true);
  }

  private atBottom(): boolean {
    const out = this.el.output;
    return out.scrollHeight - out.scrollTop - out.clientHeight <= BOTTOM_SLACK;
  }

  private scrollToEnd(): void {
    this.el.output.scrollTop = this.el.output.scrollHeight;
  }

  /** Appends text, keeping the reader's place unless they were at the end. */
  append(raw: string): void {
    const follow = this.atBottom();
    const pushed = this.cleaner.push(raw);
    const live = pushed.live;
    // JSON log lines (the LoRA-Tool's, the studio's) read as time, level, message and fields.
    const lines = pushed.lines && readableLines(pushed.lines);
    if (lines) {
      this.el.output.insertBefore(document.createTextNode(lines), this.live);
      this.kept += lines.length;
    }
    if (this.live.data !== live) this.live.data = live;
    if (this.kept > 0 || live) setHidden(this.el.empty, true);
    this.trim(follow);
    if (follow) this.scrollToEnd();
    else if (lines) setHidden(this.el.jump, false);
  }

  /** A note from the page itself inside the output (not part of the log). */
  note(text: string): void {
    const follow = this.atBottom();
    const before = this.live.data ? "\n" : "";
    const span = h("span", { class: "term-note", text: `${before}— ${text} —\n` });
    this.el.output.insertBefore(span, this.live);
    this.kept += span.textContent?.length ?? 0;
    setHidden(this.el.empty, true);
    if (follow) this.scrollToEnd();
  }

  /** Drops the oldest output beyond the cap, without moving what the reader looks at. */
  private trim(follow: boolean): void {
    if (this.kept <= KEEP_CHARS) return;
    const out = this.el.output;
    const heightBefore = out.scrollHeight;
    const topBefore = out.scrollTop;
    let excess = this.kept - TRIM_TO_CHARS;
    while (excess > 0 && out.firstChild && out.firstChild !== this.live) {
      const node = out.firstChild;
      const length = node.textContent?.length ?? 0;
      if (length <= excess || !(node instanceof Text)) {
        node.remove();
        excess -= length;
        this.kept -= length;
      } else {
        // Cut at a line end so the first line shown is whole.
        const cut = node.data.indexOf("\n", excess);
        const at = cut === -1 ? node.data.length : cut + 1;
        node.deleteData(0, at);
        this.kept -= at;
        excess = 0;
      }
    }
    if (!follow) out.scrollTop = Math.max(0, topBefore - (heightBefore - out.scrollHeight));
  }
}
