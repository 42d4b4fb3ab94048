/**
 * One tool's card, built once and updated in place on every poll: its state at a glance and one obvious
 * action, who is in it, the GPUs of ComfyUI's instances, and a warning before an idle stop.
 */
import { clock, messageOf, postJson } from "./api.js";
import { stopAsking, type Answer } from "./tool-stop.js";
import { errorLine, h, setAttr, setHidden, setText, showError } from "./dom.js";
import { KeyedList } from "./keyed.js";
import * as text from "./tool-text.js";
import type { Job, Me, ToolStatus } from "./types.js";

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

export class ToolCard {
  readonly root: HTMLLIElement;
  private readonly badge = h("span", { class: "badge" });
  private readonly adminOnly = h("span", { class: "tag", text: "Admins only" });
  private readonly badgeText = h("span", { class: "badge-text" });
  private readonly detail = h("p", { class: "tool-detail" });
  private readonly presence = h("p", { class: "tool-presence" });
  private readonly instances = h("ul", { class: "instances", attrs: { "aria-label": "GPUs" } });
  private readonly instanceList: KeyedList<
    { key: string; text: string; mine: boolean },
    { root: HTMLLIElement }
  >;
  private readonly idleText = h("p", { class: "idle-text" });
  private readonly keep = h("button", {
    class: "btn secondary small",
    text: "Keep it running",
    attrs: { type: "button" },
  });
  private readonly idle = h(
    "div",
    { class: "idle-warning", attrs: { role: "status" } },
    this.idleText,
    this.keep,
  );
  private readonly crashReason = h("p", { class: "crash-reason" });
  private readonly crashCode = h("p", { class: "crash-code" });
  private readonly tail: HTMLPreElement;
  private readonly tailBlock: HTMLDetailsElement;
  private readonly crash: HTMLDivElement;
  private readonly start: HTMLButtonElement;
  private readonly open: HTMLAnchorElement;
  private readonly stop = h("button", { class: "btn danger", text: "Stop", attrs: { type: "button" } });
  private readonly logButton: HTMLButtonElement;
  private readonly note = h("p", { class: "tool-note" });
  private readonly error = errorLine();
  private busy: "start" | "stop" | null = null;

  constructor(
    public tool: ToolStatus,
    private readonly hooks: ToolsHooks,
  ) {
    const id = tool.tool_id;
    const nameId = `tool-${id}-name`;
    this.note.id = `tool-${id}-note`;
    this.badge.append(h("span", { class: "dot", attrs: { "aria-hidden": "true" } }), this.badgeText);
    this.tail = h("pre", {
      class: "log-tail",
      attrs: { tabindex: "0", "aria-label": `Last log lines of ${tool.name}` },
    });
    this.tailBlock = h("details", { class: "tail" }, h("summary", { text: "Last log lines" }), this.tail);
    this.crash = h("div", { class: "crash" }, this.crashReason, this.crashCode, this.tailBlock);
    this.start = h("button", {
      class: "btn primary",
      text: "Start",
      attrs: { type: "button", "aria-describedby": this.note.id },
    });
    this.open = h("a", {
      class: "btn primary",
      text: "Open",
      attrs: { target: "_blank", rel: "noopener", "aria-label": `Open ${tool.name} in a new tab` },
    });
    this.open.append(h("span", { class: "ext", text: " ↗", attrs: { "aria-hidden": "true" } }));
    this.logButton = h("button", {
      class: "btn ghost small",
      text: "Show log",
      attrs: { type: "button", "aria-pressed": "false", "aria-label": `Show the log of ${tool.name}` },
    });
    this.instanceList = new KeyedList(
      this.instances,
      (line) => line.key,
      () => ({ root: h("li") }),
      (view, line) => {
        setText(view.root, line.text);
        view.root.classList.toggle("mine", line.mine);
      },
    );
    this.root = h(
      "li",
      { class: "tool-card", attrs: { "data-tool-id": id, "aria-labelledby": nameId } },
      h(
        "div",
        { class: "tool-top" },
        h("h3", { text: tool.name, attrs: { id: nameId } }),
        this.adminOnly,
        this.badge,
      ),
      tool.description ? h("p", { class: "tool-desc", text: tool.description }) : null,
      this.detail,
      this.presence,
      this.instances,
      this.idle,
      this.crash,
      h("div", { class: "tool-actions" }, this.start, this.open, this.stop, this.logButton),
      this.note,
      this.error,
    );
    this.start.addEventListener("click", () => void this.doStart());
    this.stop.addEventListener("click", () => void this.doStop());
    this.keep.addEventListener("click", () => void this.keepAlive());
    this.logButton.addEventListener("click", () => this.hooks.follow(id, `${this.tool.name} log`));
    // A click anywhere on the card that is not a control follows its log too.
    this.root.addEventListener("click", (event) => {
      if ((event.target as Element | null)?.closest("button, a, summary, details, pre, input, select"))
        return;
      this.hooks.follow(id, `${this.tool.name} log`);
    });
  }

  private get job(): Job | undefined {
    return this.hooks.pendingJobs().find((job) => job.kind === "tool" && job.target === this.tool.tool_id);
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
    const shown = text.shownState(tool, this.job);
    this.root.dataset.state = shown;
    setHidden(this.adminOnly, !tool.admin_only);
    this.badge.dataset.state = shown;
    this.tick();

    const crashed = state === "crashed";
    setHidden(this.crash, !crashed);
    if (crashed) {
      setText(this.crashReason, tool.message ?? `${tool.name} stopped on its own.`);
      setText(this.crashCode, text.crashCause(tool));
      const tail = (tool.log_tail ?? "").trimEnd();
      setHidden(this.tailBlock, tail === "");
      setText(this.tail, tail);
    }

    const startable = state === "stopped" || state === "crashed";
    const reason = startable ? text.startProblem(tool, me, this.job) : null;
    setHidden(this.start, !startable);
    if (this.busy !== "start") {
      this.start.disabled = reason !== null;
      setText(this.start, crashed ? "Start again" : "Start");
    }
    setHidden(this.open, state !== "running" || (tool.admin_only && !me.isAdmin));
    const href = tool.open_url ?? tool.url;
    if (this.open.getAttribute("href") !== href) this.open.href = href;
    setHidden(this.stop, !((mine || me.adminMode) && (state === "starting" || state === "running")));
    if (this.busy !== "stop") setText(this.stop, state === "starting" ? "Cancel start" : "Stop");

    const note = reason ?? text.usageNote(tool, me);
    setText(this.note, note);
    setHidden(this.note, note === "");
    const presence = text.presenceText(tool, me);
    setText(this.presence, presence);
    setHidden(this.presence, presence === "");
    const lines = text.instanceLines(tool, me);
    this.instanceList.render(lines);
    setHidden(this.instances, lines.length === 0);
    this.root.classList.toggle("is-mine", mine && text.isActive(tool));

    if (previous !== state && mine) {
      if (state === "running") this.hooks.announce(`${tool.name} is running. Use Open to use it.`);
      if (state === "crashed")
        this.hooks.announce(`${tool.name} crashed: ${tool.message ?? text.crashCause(tool)}`);
    }
  }

  /** Updates what depends on the time: the badge's elapsed time, the detail line, the idle countdown. */
  tick(): void {
    const now = clock.now();
    const me = this.hooks.me();
    setText(this.badgeText, text.badgeText(this.tool, this.job, now));
    const detail = text.detailText(this.tool, me, now);
    setText(this.detail, detail);
    setHidden(this.detail, detail === "");
    const warning = text.idleWarning(this.tool, me, now);
    setText(this.idleText, warning ?? "");
    setHidden(this.idle, warning === null);
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
      status = await postJson<Answer>("/start_session", { tool_id: this.tool.tool_id });
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
      this.hooks.changed(await stopAsking(tool, this.hooks.confirm));
    } catch (error) {
      showError(this.error, `${tool.name} could not be stopped: ${messageOf(error)}`);
      this.hooks.changed();
    } finally {
      this.busy = null;
      this.stop.disabled = false;
      this.update(this.tool);
    }
  }

  private async keepAlive(): Promise<void> {
    showError(this.error, null);
    this.keep.disabled = true;
    try {
      await postJson("/keep_alive", { tool_id: this.tool.tool_id });
      this.hooks.announce(`${this.tool.name} keeps running.`);
    } catch (error) {
      showError(this.error, `${this.tool.name} could not be kept running: ${messageOf(error)}`);
    } finally {
      this.keep.disabled = false;
      this.hooks.changed();
    }
  }
}
