/**
 * The tool cards: one per tool, built once and updated in place on every poll (focus and open
 * "last log lines" blocks survive). Each card shows its state at a glance and one obvious action.
 */
import { clock, messageOf, postJson } from "./api.js";
import { errorLine, h, setAttr, setHidden, setText, showError } from "./dom.js";
import { duration, since } from "./format.js";
import type { Job, Me, ToolState, ToolStatus } from "./types.js";

export interface ToolsHooks {
  me: () => Me;
  /** Jobs queued or running, to say when a tool is being installed or updated. */
  pendingJobs: () => Job[];
  follow: (toolId: string, title: string) => void;
  /** A tool changed on our request: poll quickly for a while. */
  changed: (status?: ToolStatus) => void;
  confirm: (options: { title: string; body: string; confirm: string; danger?: boolean }) => Promise<boolean>;
  announce: (text: string) => void;
}

const STATE_LABEL: Record<ToolState, string> = {
  stopped: "Stopped",
  starting: "Starting",
  running: "Running",
  stopping: "Stopping",
  crashed: "Crashed",
};

function crashCause(tool: ToolStatus): string {
  if (tool.exit_code !== null) return `Exit code ${tool.exit_code}`;
  if (tool.signal) return `Ended by signal ${tool.signal}`;
  return "The process ended without an exit code the studio could see.";
}

class ToolCard {
  readonly root: HTMLLIElement;
  private readonly badge: HTMLSpanElement;
  private readonly badgeText: HTMLSpanElement;
  private readonly detail: HTMLParagraphElement;
  private readonly crash: HTMLDivElement;
  private readonly crashReason: HTMLParagraphElement;
  private readonly crashCode: HTMLParagraphElement;
  private readonly tailBlock: HTMLDetailsElement;
  private readonly tail: HTMLPreElement;
  private readonly start: HTMLButtonElement;
  private readonly open: HTMLAnchorElement;
  private readonly stop: HTMLButtonElement;
  private readonly logButton: HTMLButtonElement;
  private readonly note: HTMLParagraphElement;
  private readonly error: HTMLParagraphElement;
  private busy: "start" | "stop" | null = null;
  tool: ToolStatus;

  constructor(
    tool: ToolStatus,
    private readonly hooks: ToolsHooks,
  ) {
    this.tool = tool;
    const id = tool.tool_id;
    const nameId = `tool-${id}-name`;
    const noteId = `tool-${id}-note`;
    this.badgeText = h("span", { class: "badge-text" });
    this.badge = h(
      "span",
      { class: "badge" },
      h("span", { class: "dot", attrs: { "aria-hidden": "true" } }),
      this.badgeText,
    );
    this.detail = h("p", { class: "tool-detail" });
    this.crashReason = h("p", { class: "crash-reason" });
    this.crashCode = h("p", { class: "crash-code" });
    this.tail = h("pre", {
      class: "log-tail",
      attrs: { tabindex: "0", "aria-label": `Last log lines of ${tool.name}` },
    });
    this.tailBlock = h("details", { class: "tail" }, h("summary", { text: "Last log lines" }), this.tail);
    this.crash = h("div", { class: "crash" }, this.crashReason, this.crashCode, this.tailBlock);
    this.start = h("button", {
      class: "btn primary",
      text: "Start",
      attrs: { type: "button", "aria-describedby": noteId },
    });
    this.open = h("a", {
      class: "btn primary",
      text: "Open",
      attrs: { target: "_blank", rel: "noopener", "aria-label": `Open ${tool.name} in a new tab` },
    });
    this.open.append(h("span", { class: "ext", text: " ↗", attrs: { "aria-hidden": "true" } }));
    this.stop = h("button", { class: "btn danger", text: "Stop", attrs: { type: "button" } });
    this.logButton = h("button", {
      class: "btn ghost small",
      text: "Show log",
      attrs: { type: "button", "aria-pressed": "false", "aria-label": `Show the log of ${tool.name}` },
    });
    this.note = h("p", { class: "tool-note" });
    this.note.id = noteId;
    this.error = errorLine();
    this.root = h(
      "li",
      { class: "tool-card", attrs: { "data-tool-id": id, "aria-labelledby": nameId } },
      h("div", { class: "tool-top" }, h("h3", { text: tool.name, attrs: { id: nameId } }), this.badge),
      tool.description ? h("p", { class: "tool-desc", text: tool.description }) : null,
      this.detail,
      this.crash,
      h("div", { class: "tool-actions" }, this.start, this.open, this.stop, this.logButton),
      this.note,
      this.error,
    );
    this.start.addEventListener("click", () => void this.doStart());
    this.stop.addEventListener("click", () => void this.doStop());
    this.logButton.addEventListener("click", () => this.hooks.follow(id, `${this.tool.name} log`));
    // A click anywhere on the card that is not a control follows its log too.
    this.root.addEventListener("click", (event) => {
      const target = event.target as Element | null;
      if (target?.closest("button, a, summary, details, pre, input, select")) return;
      this.hooks.follow(id, `${this.tool.name} log`);
    });
  }

  setFollowed(followed: boolean): void {
    this.root.classList.toggle("selected", followed);
    setAttr(this.logButton, "aria-pressed", followed ? "true" : "false");
  }

  update(tool: ToolStatus): void {
    const previous = this.tool.state;
    this.tool = tool;
    const me = this.hooks.me();
    const { state } = tool;
    const mine = me.artist !== null && tool.owner === me.artist;
    const canStop = mine || me.adminMode;
    const active = state === "starting" || state === "running" || state === "stopping";
    const pendingJob = this.hooks
      .pendingJobs()
      .find((job) => job.kind === "tool" && job.target === tool.tool_id);

    const shown = !tool.installed && !active ? "not-installed" : state;
    this.root.dataset.state = shown;
    this.badge.dataset.state = shown;
    this.tickText();

    // Crash details
    const crashed = state === "crashed";
    setHidden(this.crash, !crashed);
    if (crashed) {
      setText(this.crashReason, tool.message ?? `${tool.name} stopped on its own.`);
      setText(this.crashCode, crashCause(tool));
      const tail = (tool.log_tail ?? "").trimEnd();
      setHidden(this.tailBlock, tail === "");
      setText(this.tail, tail);
    }

    // Start: when stopped or crashed; disabled with the reason when it cannot start.
    const startable = state === "stopped" || state === "crashed";
    setHidden(this.start, !startable);
    let reason: string | null = null;
    if (startable) {
      if (!tool.installed) {
        reason =
          me.adminMode && !tool.install_hint?.includes("start script")
            ? "Not installed yet: install it in the admin panel."
            : (tool.install_hint ?? "Not installed yet: ask an admin to install it.");
      } else if (pendingJob) {
        reason = `Being ${pendingJob.action.replace(/e?$/, "ed")} by ${pendingJob.requested_by}; start it when that finishes.`;
      } else if (!me.artist) {
        reason = "Pick your name at the top of the page to start it.";
      }
    }
    if (this.busy !== "start") {
      this.start.disabled = reason !== null;
      setText(this.start, crashed ? "Start again" : "Start");
    }

    // Open: only while running.
    setHidden(this.open, state !== "running");
    const href = tool.open_url ?? tool.url;
    if (this.open.getAttribute("href") !== href) this.open.href = href;

    // Stop: the owner, or an admin in admin mode.
    setHidden(this.stop, !(canStop && (state === "starting" || state === "running")));
    if (this.busy !== "stop") setText(this.stop, state === "starting" ? "Cancel start" : "Stop");

    // The note under the actions.
    let note = reason ?? "";
    if (!note && active && tool.owner && !mine) {
      note =
        state === "stopping"
          ? `Being stopped. It was in use by ${tool.owner}.`
          : canStop
            ? `In use by ${tool.owner}. You may stop it as an admin.`
            : `In use by ${tool.owner}. You can open it too; only ${tool.owner} or an admin can stop it.`;
    } else if (!note && state === "starting") {
      note = "Getting ready; Open appears when it answers.";
    }
    setText(this.note, note);
    setHidden(this.note, note === "");
    this.root.classList.toggle("is-mine", mine && active);

    if (previous !== state && mine) {
      if (state === "running") this.hooks.announce(`${tool.name} is running. Use Open to use it.`);
      if (state === "crashed")
        this.hooks.announce(`${tool.name} crashed: ${tool.message ?? crashCause(tool)}`);
    }
  }

  /** Updates the texts that depend on the time (elapsed, running for). */
  tickText(): void {
    const tool = this.tool;
    const now = clock.now();
    const elapsed = since(tool.started_at, now);
    const state = tool.state;
    let badge = STATE_LABEL[state];
    if (!tool.installed && state !== "starting" && state !== "running" && state !== "stopping")
      badge = "Not installed";
    if (state === "starting" && elapsed !== null) badge = `Starting · ${duration(elapsed)}`;
    if (state === "stopping") badge = "Stopping…";
    setText(this.badgeText, badge);

    let detail = "";
    const me = this.hooks.me();
    const owner = tool.owner === me.artist && me.artist !== null ? `you (${tool.owner})` : tool.owner;
    if (state === "running")
      detail = `Started by ${owner ?? "someone"}${elapsed !== null ? ` · running for ${duration(elapsed)}` : ""}`;
    else if (state === "starting") detail = `Started by ${owner ?? "someone"}`;
    else if (state === "stopping")
      detail = tool.message ?? `Stopping; it was started by ${owner ?? "someone"}.`;
    else if (state === "stopped" && tool.message) detail = tool.message;
    else if (state === "crashed" && tool.ended_at) {
      const ago = since(tool.ended_at, now);
      detail =
        ago !== null ? `Crashed ${duration(ago)} ago${tool.owner ? ` (started by ${tool.owner})` : ""}` : "";
    }
    setText(this.detail, detail);
    setHidden(this.detail, detail === "");
  }

  private async doStart(): Promise<void> {
    if (this.busy) return;
    this.busy = "start";
    showError(this.error, null);
    this.start.disabled = true;
    setText(this.start, "Starting…");
    this.hooks.follow(this.tool.tool_id, `${this.tool.name} log`);
    let status: ToolStatus | undefined;
    try {
      status = await postJson<ToolStatus & { success: boolean }>("/start_session", {
        tool_id: this.tool.tool_id,
      });
    } catch (error) {
      showError(this.error, `${this.tool.name} could not start: ${messageOf(error)}`);
    }
    this.busy = null;
    this.update(status ?? this.tool);
    this.hooks.changed(status);
  }

  private async doStop(): Promise<void> {
    if (this.busy) return;
    const me = this.hooks.me();
    const tool = this.tool;
    if (tool.owner && tool.owner !== me.artist) {
      const ok = await this.hooks.confirm({
        title: `Stop ${tool.name}?`,
        body: `${tool.owner} started it and may be using it right now; anything not saved in it will be lost.`,
        confirm: `Stop ${tool.name}`,
        danger: true,
      });
      if (!ok) return;
    }
    this.busy = "stop";
    showError(this.error, null);
    this.stop.disabled = true;
    setText(this.stop, "Stopping…");
    this.hooks.changed();
    try {
      const status = await postJson<ToolStatus & { success: boolean }>("/stop_session", {
        tool_id: tool.tool_id,
      });
      this.hooks.changed(status);
    } catch (error) {
      showError(this.error, `${tool.name} could not be stopped: ${messageOf(error)}`);
      this.hooks.changed();
    } finally {
      this.busy = null;
      this.stop.disabled = false;
      this.update(this.tool);
    }
  }
}

export class ToolsView {
  private readonly cards = new Map<string, ToolCard>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly hooks: ToolsHooks,
  ) {}

  get tools(): ToolStatus[] {
    return Array.from(this.cards.values(), (card) => card.tool);
  }

  get busy(): boolean {
    return this.tools.some((tool) => tool.state === "starting" || tool.state === "stopping");
  }

  name(toolId: string): string {
    return this.cards.get(toolId)?.tool.name ?? toolId;
  }

  render(tools: ToolStatus[]): void {
    if (this.cards.size === 0) this.list.replaceChildren();
    for (const tool of tools) {
      let card = this.cards.get(tool.tool_id);
      if (!card) {
        card = new ToolCard(tool, this.hooks);
        this.cards.set(tool.tool_id, card);
        this.list.append(card.root);
      }
      card.update(tool);
    }
  }

  /** One tool's status, from an action's answer. */
  updateOne(status: ToolStatus): void {
    this.cards.get(status.tool_id)?.update(status);
  }

  /** Re-renders with the current data (after the artist or admin mode changed). */
  refresh(): void {
    for (const card of this.cards.values()) card.update(card.tool);
  }

  tick(): void {
    for (const card of this.cards.values()) card.tickText();
  }

  setFollowed(source: string | null): void {
    for (const [id, card] of this.cards) card.setFollowed(id === source);
  }
}
