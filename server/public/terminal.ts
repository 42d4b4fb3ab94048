/**
 * The output view: follows one log source (a tool, a job, or the newest admin job) from its cursor,
 * appending only new text, and keeps the output of a job that has ended on screen. Its source picker, copy
 * and clear buttons are here; the screen itself (the reader's place, the cap on what it keeps) is
 * terminal-screen.ts.
 *
 * ```ts
 * const terminal = new Terminal(elements, { adminMode: () => me.adminMode });
 * terminal.follow("comfy-ui", "ComfyUI");
 * terminal.follow("job:4c1e...", "Install ComfyUI");
 * ```
 */
import { ApiError, getJson, messageOf, postJson } from "./api.js";
import { copyText, flash } from "./clipboard.js";
import { h, setAttr, setHidden, setText, showError } from "./dom.js";
import { Poller } from "./poller.js";
import { TerminalScreen } from "./terminal-screen.js";
import type { LogAnswer } from "./types.js";

/** The most one answer holds; a full answer means more is waiting. */
const MAX_READ_BYTES = 256 * 1024;

export interface TerminalElements {
  output: HTMLPreElement;
  empty: HTMLElement;
  title: HTMLElement;
  status: HTMLElement;
  source: HTMLSelectElement;
  copy: HTMLButtonElement;
  clear: HTMLButtonElement;
  jump: HTMLButtonElement;
  error: HTMLElement;
  copied: HTMLElement;
}

export interface TerminalHooks {
  adminMode: () => boolean;
  /** Whether any admin job has run yet (the "admin" source has nothing to show before). */
  anyAdminJob: () => boolean;
  /** Told when the followed source changes (to mark the selected card or job). */
  onFollow?: (source: string) => void;
}

export class Terminal {
  private sourceId: string | null = null;
  private cursor: number | null = null;
  private generation = 0;
  private readonly screen: TerminalScreen;
  private readonly poller: Poller;
  private lastRunning: boolean | null = null;
  /** For the "admin" source: the job it showed last (a newer job starts a fresh view). */
  private adminJob: string | null = null;

  constructor(
    private readonly el: TerminalElements,
    private readonly hooks: TerminalHooks,
  ) {
    this.screen = new TerminalScreen(el);
    this.poller = new Poller(() => this.tick());
    el.copy.addEventListener("click", () => void this.copy());
    el.clear.addEventListener("click", () => void this.clear());
    el.source.addEventListener("change", () => {
      const option = el.source.selectedOptions[0];
      if (option && option.value)
        this.follow(option.value, option.dataset.title ?? option.textContent ?? option.value);
    });
  }

  get source(): string | null {
    return this.sourceId;
  }

  /** Follows `source` from the last 64 KiB the server holds; the view starts empty. */
  follow(source: string, title: string): void {
    if (source === this.sourceId) {
      this.poller.now();
      return;
    }
    this.sourceId = source;
    this.generation++;
    this.cursor = null;
    this.lastRunning = null;
    this.adminJob = null;
    this.screen.reset();
    setText(this.el.title, title);
    setText(this.el.status, "");
    this.el.status.dataset.state = "";
    showError(this.el.error, null);
    this.syncSourceOption(source, title);
    this.hooks.onFollow?.(source);
    try {
      sessionStorage.setItem("studio.log", JSON.stringify({ source, title }));
    } catch {
      // Storage may be off; following still works.
    }
    this.poller.stop();
    this.poller.start();
  }

  /** Polls again at once (after a start or an action). */
  poke(): void {
    this.poller.now();
  }

  /** Adds `source` to the picker (jobs are added as they are followed) and selects it. */
  private syncSourceOption(source: string, title: string): void {
    const select = this.el.source;
    let option = Array.from(select.options).find((candidate) => candidate.value === source);
    if (!option) {
      option = h("option", { text: title, attrs: { value: source } });
      option.dataset.title = title;
      option.dataset.added = "true";
      for (const old of Array.from(select.options)) if (old.dataset.added === "true") old.remove();
      select.append(option);
    }
    select.value = source;
  }

  private async tick(): Promise<number> {
    const source = this.sourceId;
    if (source === null) return 60_000;
    const generation = this.generation;
    const before = this.cursor;
    if (source === "admin" && before === null && !this.hooks.anyAdminJob()) {
      setText(this.el.empty, "No admin job has run yet.");
      return 2000;
    }
    const query = new URLSearchParams({ source });
    if (before !== null) query.set("cursor", String(before));
    let answer: LogAnswer;
    try {
      answer = await getJson<LogAnswer>(`/logs?${query.toString()}`);
    } catch (error) {
      if (generation !== this.generation) return 0;
      if (error instanceof ApiError && error.status === 404 && this.screen.isBlank) {
        setText(this.el.empty, error.message);
        setHidden(this.el.empty, false);
        showError(this.el.error, null);
        // A job that is gone does not come back; other sources are asked again slowly.
        return source.startsWith("job:") ? 600_000 : 5000;
      }
      showError(this.el.error, `The output could not be read: ${messageOf(error)}`);
      return 3000;
    }
    if (generation !== this.generation) return 0;
    showError(this.el.error, null);
    if (source === "admin" && answer.job_id) {
      if (this.adminJob !== null && answer.job_id !== this.adminJob && before !== null) {
        // "admin" now means a newer job: read that one from its start of the tail.
        this.adminJob = answer.job_id;
        this.cursor = null;
        this.screen.reset();
        this.screen.note("A newer admin job started; showing its output.");
        return 0;
      }
      this.adminJob = answer.job_id;
    }
    if (answer.reset && before !== null) {
      this.screen.note(
        "The log was cleared or rotated on the studio; showing what it still holds from here.",
      );
    }
    this.cursor = answer.cursor;
    if (answer.content) this.append(answer.content);
    else if (this.screen.isBlank)
      setText(this.el.empty, answer.running ? "Waiting for output…" : "No output yet.");
    this.showRunning(answer.running);
    const full = before !== null && !answer.reset && answer.cursor - before >= MAX_READ_BYTES - 4;
    if (full) return 0;
    // While something writes (a running tool or job, or output that just came), read often.
    return answer.running || answer.content ? 400 : 1500;
  }

  private showRunning(running: boolean): void {
    if (running === this.lastRunning) return;
    this.lastRunning = running;
    const job = this.sourceId?.startsWith("job:") || this.sourceId === "admin";
    setText(this.el.status, running ? "live" : job ? "ended" : "not running");
    this.el.status.dataset.state = running ? "live" : "ended";
  }

  /** Appends text, keeping the reader's place unless they were at the end. */
  append(raw: string): void {
    this.screen.append(raw);
  }

  private async copy(): Promise<void> {
    const text = this.el.output.textContent ?? "";
    if (await copyText(text, this.el.copy)) {
      showError(this.el.error, null);
      flash(this.el.copied, text === "" ? "Nothing to copy." : "Copied.");
    } else {
      showError(
        this.el.error,
        "Copying was blocked by the browser: select the text and press Ctrl+C (⌘C) instead.",
      );
    }
  }

  /** Empties the view; in admin mode the log is also cleared for anyone who opens it later. */
  private async clear(): Promise<void> {
    this.screen.reset();
    setText(this.el.empty, "Cleared. New output appears here.");
    const source = this.sourceId;
    if (source === null || !this.hooks.adminMode()) return;
    try {
      const answer = await postJson<{ cursor?: number }>("/clear_logs", { source });
      if (
        source === this.sourceId &&
        typeof answer.cursor === "number" &&
        (this.cursor === null || answer.cursor > this.cursor)
      ) {
        this.cursor = answer.cursor;
      }
      showError(this.el.error, null);
    } catch (error) {
      showError(this.el.error, `The log could not be cleared on the studio: ${messageOf(error)}`);
    }
  }

  /** Keeps the Clear button's hint in step with admin mode. */
  updateAdminMode(adminMode: boolean): void {
    setAttr(
      this.el.clear,
      "title",
      adminMode
        ? "Empties this view and hides the earlier output for anyone who opens this log later"
        : "Empties this view (the log itself is kept)",
    );
  }
}
