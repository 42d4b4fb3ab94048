/** The admin panel's tool rows: Install, Update and Reinstall each tool, as jobs the output follows. */
import { messageOf, postJson } from "./api.js";
import { errorLine, h, setHidden, setText, showError, withBusy } from "./dom.js";
import { capitalize } from "./format.js";
import { KeyedList } from "./keyed.js";
import { isActive } from "./tool-text.js";
import type { Job, ToolStatus } from "./types.js";

export interface AdminHooks {
  follow: (source: string, title: string) => void;
  jobsChanged: () => void;
  toolsChanged: () => void;
  confirm: (options: { title: string; body: string; confirm: string; danger?: boolean }) => Promise<boolean>;
  pendingJobs: () => Job[];
}

const ACTIONS = ["install", "update", "reinstall"] as const;
type Action = (typeof ACTIONS)[number];
const BUSY: Record<Action, string> = {
  install: "Installing…",
  update: "Updating…",
  reinstall: "Reinstalling…",
};

class AdminToolRow {
  readonly root: HTMLLIElement;
  private readonly state = h("span", { class: "admin-tool-state" });
  private readonly note = h("p", { class: "tool-note" });
  private readonly error = errorLine();
  private readonly buttons: Map<Action, HTMLButtonElement>;
  private tool: ToolStatus;

  constructor(
    tool: ToolStatus,
    private readonly hooks: AdminHooks,
  ) {
    this.tool = tool;
    this.buttons = new Map(
      ACTIONS.map((action) => {
        const button = h("button", {
          class: `btn small ${action === "reinstall" ? "danger" : "secondary"}`,
          text: capitalize(action),
          attrs: { type: "button", "aria-label": `${capitalize(action)} ${tool.name}` },
        });
        button.addEventListener("click", () => void this.run(action, button));
        return [action, button] as const;
      }),
    );
    this.root = h(
      "li",
      { class: "admin-tool" },
      h("div", { class: "admin-tool-head" }, h("strong", { text: tool.name }), this.state),
      h("div", { class: "admin-tool-actions" }, ...this.buttons.values()),
      this.note,
      this.error,
    );
  }

  update(tool: ToolStatus): void {
    this.tool = tool;
    const active = isActive(tool);
    const pending = this.hooks
      .pendingJobs()
      .find((job) => job.kind === "tool" && job.target === tool.tool_id);
    const installed = tool.installed ? "Installed" : "Not installed";
    setText(this.state, active ? `${installed} · ${tool.state}` : installed);
    this.state.dataset.installed = String(tool.installed);
    for (const [action, button] of this.buttons) {
      if (button.getAttribute("aria-busy") === "true") continue;
      // Update and Reinstall work on an install: there is none to work on yet.
      button.disabled = pending !== undefined || active || (action !== "install" && !tool.installed);
      button.classList.toggle("primary", action === "install" && !tool.installed);
      button.classList.toggle(
        "secondary",
        !(action === "install" && !tool.installed) && action !== "reinstall",
      );
    }
    const note = pending
      ? `${capitalize(pending.action)} ${pending.status} (asked by ${pending.requested_by}).`
      : active
        ? `Running (started by ${tool.owner ?? "someone"}): stop it before you install, update or reinstall it.`
        : tool.installed
          ? ""
          : "Not installed yet: Update and Reinstall come after an install.";
    setText(this.note, note);
    setHidden(this.note, note === "");
  }

  private async run(action: Action, button: HTMLButtonElement): Promise<void> {
    const { name, tool_id } = this.tool;
    if (action === "reinstall") {
      const ok = await this.hooks.confirm({
        title: `Reinstall ${name}?`,
        body: `${name} is installed again from scratch. ${this.tool.reinstall_keeps}`,
        confirm: `Reinstall ${name}`,
        danger: true,
      });
      if (!ok) return;
    }
    showError(this.error, null);
    try {
      await withBusy(button, BUSY[action], async () => {
        const answer = await postJson<{ job_id: string }>("/admin_action", { tool_id, action });
        this.hooks.follow(`job:${answer.job_id}`, `Job: ${capitalize(action)} ${name}`);
      });
    } catch (failure) {
      showError(this.error, `${name}: ${messageOf(failure)}`);
    }
    this.hooks.jobsChanged();
    this.hooks.toolsChanged();
  }
}

export class AdminTools {
  private readonly rows: KeyedList<ToolStatus, AdminToolRow>;

  constructor(list: HTMLUListElement, hooks: AdminHooks) {
    this.rows = new KeyedList(
      list,
      (tool) => tool.tool_id,
      (tool) => new AdminToolRow(tool, hooks),
      (row, tool) => row.update(tool),
    );
  }

  render(tools: ToolStatus[]): void {
    this.rows.render(tools);
  }
}
