/**
 * The admin panel: install, update and reinstall each tool; the custom nodes; the model sets with their
 * download; all as jobs whose output the terminal follows.
 */
import { ApiError, getJson, messageOf, postJson } from "./api.js";
import { errorLine, h, setHidden, setText, showError, withBusy } from "./dom.js";
import { bytes, duration, plural } from "./format.js";
import type { CustomNode, Job, ModelProgress, ModelSet, ModelSetProgress, ToolStatus } from "./types.js";

export interface AdminHooks {
  follow: (source: string, title: string) => void;
  jobsChanged: () => void;
  toolsChanged: () => void;
  confirm: (options: { title: string; body: string; confirm: string; danger?: boolean }) => Promise<boolean>;
  pendingJobs: () => Job[];
}

const REINSTALL_DEFAULT =
  "The reinstall script keeps what users made; its output lists what it moved and where the old copy is.";

/** Per tool: Install, Update, Reinstall. */
export class AdminTools {
  private readonly rows = new Map<
    string,
    {
      root: HTMLLIElement;
      state: HTMLSpanElement;
      buttons: HTMLButtonElement[];
      note: HTMLParagraphElement;
      error: HTMLParagraphElement;
    }
  >();
  /** What a reinstall keeps, per tool (from the studio's tool registry). */
  private readonly keeps = new Map<string, string>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly hooks: AdminHooks,
  ) {}

  render(tools: ToolStatus[]): void {
    for (const tool of tools) {
      if (tool.reinstall_keeps) this.keeps.set(tool.tool_id, tool.reinstall_keeps);
      let row = this.rows.get(tool.tool_id);
      if (!row) {
        const state = h("span", { class: "admin-tool-state" });
        const error = errorLine();
        const note = h("p", { class: "tool-note" });
        const buttons = (["install", "update", "reinstall"] as const).map((action) => {
          const button = h("button", {
            class: `btn small ${action === "reinstall" ? "danger" : "secondary"}`,
            text: action === "install" ? "Install" : action === "update" ? "Update" : "Reinstall",
            attrs: {
              type: "button",
              "aria-label": `${action === "install" ? "Install" : action === "update" ? "Update" : "Reinstall"} ${tool.name}`,
            },
          });
          button.dataset.action = action;
          button.addEventListener("click", () => void this.run(tool.tool_id, action, button, error));
          return button;
        });
        const root = h(
          "li",
          { class: "admin-tool" },
          h("div", { class: "admin-tool-head" }, h("strong", { text: tool.name }), state),
          h("div", { class: "admin-tool-actions" }, ...buttons),
          note,
          error,
        );
        row = { root, state, buttons, note, error };
        this.rows.set(tool.tool_id, row);
        this.list.append(root);
      }
      const active = tool.state === "starting" || tool.state === "running" || tool.state === "stopping";
      const pending = this.hooks
        .pendingJobs()
        .find((job) => job.kind === "tool" && job.target === tool.tool_id);
      setText(
        row.state,
        active
          ? `${tool.installed ? "Installed" : "Not installed"} · ${tool.state}`
          : tool.installed
            ? "Installed"
            : "Not installed",
      );
      row.state.dataset.installed = String(tool.installed);
      for (const button of row.buttons) {
        if (button.getAttribute("aria-busy") === "true") continue;
        const action = button.dataset.action;
        button.disabled = pending !== undefined || active;
        button.classList.toggle("primary", action === "install" && !tool.installed);
        button.classList.toggle(
          "secondary",
          !(action === "install" && !tool.installed) && action !== "reinstall",
        );
      }
      const note = pending
        ? `${pending.action === "install" ? "Install" : pending.action === "update" ? "Update" : "Reinstall"} ${pending.status} (asked by ${pending.requested_by}).`
        : active
          ? `Running (started by ${tool.owner ?? "someone"}): stop it before you install, update or reinstall it.`
          : "";
      setText(row.note, note);
      setHidden(row.note, note === "");
    }
  }

  private async run(
    toolId: string,
    action: "install" | "update" | "reinstall",
    button: HTMLButtonElement,
    error: HTMLElement,
  ): Promise<void> {
    const name = button.getAttribute("aria-label")?.replace(/^\S+ /, "") ?? toolId;
    if (action === "reinstall") {
      const ok = await this.hooks.confirm({
        title: `Reinstall ${name}?`,
        body: `${name} is installed again from scratch. ${this.keeps.get(toolId) ?? REINSTALL_DEFAULT}`,
        confirm: `Reinstall ${name}`,
        danger: true,
      });
      if (!ok) return;
    }
    showError(error, null);
    const label = action === "install" ? "Installing…" : action === "update" ? "Updating…" : "Reinstalling…";
    try {
      await withBusy(button, label, async () => {
        const answer = await postJson<{ job_id: string }>("/admin_action", { tool_id: toolId, action });
        const verb = action.charAt(0).toUpperCase() + action.slice(1);
        this.hooks.follow(`job:${answer.job_id}`, `Job: ${verb} ${name}`);
      });
    } catch (failure) {
      showError(error, `${name}: ${messageOf(failure)}`);
    }
    this.hooks.jobsChanged();
    this.hooks.toolsChanged();
  }
}

/** The custom nodes list with Install all and Update all. */
export class CustomNodesView {
  private loaded = false;

  constructor(
    private readonly el: {
      list: HTMLUListElement;
      summary: HTMLElement;
      install: HTMLButtonElement;
      update: HTMLButtonElement;
      error: HTMLElement;
    },
    private readonly hooks: AdminHooks,
  ) {
    el.install.addEventListener("click", () => void this.run("install", el.install));
    el.update.addEventListener("click", () => void this.run("update", el.update));
  }

  async load(): Promise<void> {
    try {
      const { nodes } = await getJson<{ nodes: CustomNode[] }>("/custom_nodes");
      this.render(nodes);
      this.loaded = true;
      showError(this.el.error, null);
    } catch (error) {
      showError(this.el.error, `The custom nodes list could not be loaded: ${messageOf(error)}`);
    }
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  private render(nodes: CustomNode[]): void {
    const installed = nodes.filter((node) => node.installed).length;
    setText(
      this.el.summary,
      nodes.length === 0
        ? "No custom nodes are listed in setup/custom-nodes/nodes.txt."
        : `${installed} of ${nodes.length} installed`,
    );
    this.el.list.replaceChildren(
      ...nodes.map((node) => {
        const link = h("a", {
          text: node.name,
          attrs: { href: node.repo_url, target: "_blank", rel: "noopener noreferrer" },
        });
        const mark = h("span", { class: "node-mark", text: node.installed ? "Installed" : "Not installed" });
        mark.dataset.installed = String(node.installed);
        return h("li", { class: "node" }, link, mark);
      }),
    );
    this.el.install.disabled = nodes.length === 0;
    this.el.update.disabled = installed === 0;
  }

  private async run(action: "install" | "update", button: HTMLButtonElement): Promise<void> {
    showError(this.el.error, null);
    try {
      await withBusy(button, action === "install" ? "Installing…" : "Updating…", async () => {
        const answer = await postJson<{ job_id: string }>("/custom_nodes_action", { action });
        this.hooks.follow(
          `job:${answer.job_id}`,
          `Job: ${action === "install" ? "Install" : "Update"} custom nodes`,
        );
      });
    } catch (error) {
      showError(this.el.error, `Custom nodes: ${messageOf(error)}`);
    }
    this.hooks.jobsChanged();
  }
}

interface SetRow {
  root: HTMLLIElement;
  box: HTMLInputElement;
  count: HTMLSpanElement;
  size: HTMLSpanElement;
  progressBlock: HTMLDivElement;
  bar: HTMLProgressElement;
  progressText: HTMLSpanElement;
}

/** Model sets: status, checkboxes, tokens, Download, and a progress bar per set while a download runs. */
export class ModelsView {
  private readonly rows = new Map<string, SetRow>();
  private sets: ModelSet[] = [];
  /** null until known; false when this studio has no progress endpoint. */
  private progressSupported: boolean | null = null;
  private downloading = false;

  constructor(
    private readonly el: {
      list: HTMLUListElement;
      empty: HTMLElement;
      hf: HTMLInputElement;
      civitai: HTMLInputElement;
      download: HTMLButtonElement;
      hint: HTMLElement;
      error: HTMLElement;
      form: HTMLFormElement;
    },
    private readonly hooks: AdminHooks,
  ) {
    el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.download();
    });
    el.list.addEventListener("change", () => this.updateButton());
  }

  async load(): Promise<void> {
    try {
      const { sets } = await getJson<{ sets: ModelSet[] }>("/models");
      this.sets = sets;
      this.render();
      showError(this.el.error, null);
    } catch (error) {
      showError(this.el.error, `The model sets could not be loaded: ${messageOf(error)}`);
    }
  }

  private render(): void {
    const keep = new Set(this.sets.map((set) => set.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.root.remove();
        this.rows.delete(id);
      }
    }
    for (const set of this.sets) {
      let row = this.rows.get(set.id);
      if (!row) {
        const box = h("input", { attrs: { type: "checkbox", name: "models", value: set.id } });
        const count = h("span", { class: "set-count" });
        const size = h("span", { class: "set-size" });
        const bar = h("progress", { attrs: { max: "1", "aria-label": `Download progress of ${set.name}` } });
        const progressText = h("span", { class: "progress-text" });
        const progressBlock = h("div", { class: "set-progress" }, bar, progressText);
        progressBlock.hidden = true;
        const root = h(
          "li",
          { class: "model-set" },
          h("label", { class: "set-name" }, box, h("span", { text: set.name })),
          h("span", { class: "set-facts" }, count, size),
          progressBlock,
        );
        row = { root, box, count, size, progressBlock, bar, progressText };
        this.rows.set(set.id, row);
        this.el.list.append(root);
      }
      const complete = set.total > 0 && set.installed >= set.total;
      row.root.dataset.complete = String(complete);
      setText(
        row.count,
        complete ? `All ${set.total} files` : `${set.installed} of ${plural(set.total, "file")}`,
      );
      row.count.dataset.state = complete ? "complete" : set.installed > 0 ? "partial" : "missing";
      setText(row.size, set.bytes > 0 ? bytes(set.bytes) : "size unknown");
    }
    setHidden(this.el.empty, this.sets.length > 0);
    this.updateButton();
  }

  private selected(): string[] {
    return Array.from(this.rows.entries())
      .filter(([, row]) => row.box.checked)
      .map(([id]) => id);
  }

  private updateButton(): void {
    const count = this.selected().length;
    if (this.el.download.getAttribute("aria-busy") !== "true") {
      this.el.download.disabled = count === 0;
      setText(this.el.download, count > 1 ? `Download ${count} sets` : "Download");
    }
    setText(this.el.hint, count === 0 ? "Tick the sets to download." : "");
  }

  private async download(): Promise<void> {
    const models = this.selected();
    if (models.length === 0) return;
    showError(this.el.error, null);
    const body: Record<string, unknown> = { models };
    const hf = this.el.hf.value.trim();
    const civit = this.el.civitai.value.trim();
    if (hf) body.hf_token = hf;
    if (civit) body.civit_token = civit;
    try {
      await withBusy(this.el.download, "Starting…", async () => {
        const answer = await postJson<{ job_id: string }>("/download_models", body);
        this.hooks.follow(`job:${answer.job_id}`, "Job: Download models");
      });
      for (const id of models) {
        const row = this.rows.get(id);
        if (row) row.box.checked = false;
      }
      this.downloading = true;
      this.showIndeterminate(models);
    } catch (error) {
      showError(this.el.error, `The download could not start: ${messageOf(error)}`);
    }
    this.updateButton();
    this.hooks.jobsChanged();
  }

  private showIndeterminate(ids: string[]): void {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (!row) continue;
      row.bar.removeAttribute("value");
      setText(row.progressText, "Waiting to start…");
      setHidden(row.progressBlock, false);
    }
  }

  /** Whether a models job is queued or running (from the job list). */
  syncJobs(jobs: Job[]): void {
    const active = jobs.some(
      (job) => job.kind === "models" && (job.status === "queued" || job.status === "running"),
    );
    if (this.downloading && !active) {
      // The download ended: hide the bars and read the sets again.
      this.downloading = false;
      for (const row of this.rows.values()) setHidden(row.progressBlock, true);
      void this.load();
    } else if (active) {
      this.downloading = true;
    }
  }

  get isDownloading(): boolean {
    return this.downloading;
  }

  /** Reads /models/progress (when the studio has it) and fills the bars. */
  async pollProgress(): Promise<void> {
    if (!this.downloading || this.progressSupported === false) return;
    let progress: ModelProgress;
    try {
      progress = await getJson<ModelProgress>("/models/progress");
      this.progressSupported = true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.progressSupported = false;
        for (const row of this.rows.values()) {
          if (!row.progressBlock.hidden)
            setText(row.progressText, "Downloading… (follow the output for details)");
        }
      }
      return;
    }
    const byId = new Map(progress.sets.map((set) => [set.id, set] as const));
    // Bars go away when the download job ends (see syncJobs), not when one answer says nothing runs.
    if (!progress.running) return;
    for (const [id, row] of this.rows) {
      const set = byId.get(id);
      if (set) this.showProgress(row, set);
    }
  }

  private showProgress(row: SetRow, set: ModelSetProgress): void {
    setHidden(row.progressBlock, false);
    if (set.total_bytes > 0) {
      row.bar.max = set.total_bytes;
      row.bar.value = Math.min(set.done_bytes, set.total_bytes);
    } else {
      row.bar.removeAttribute("value");
    }
    const parts = [
      set.total_bytes > 0 ? `${bytes(set.done_bytes)} of ${bytes(set.total_bytes)}` : bytes(set.done_bytes),
      `${set.files_done}/${set.files_total} files`,
    ];
    if (set.bytes_per_second > 0) {
      parts.push(`${bytes(set.bytes_per_second)}/s`);
      if (set.total_bytes > set.done_bytes) {
        parts.push(
          `about ${duration(((set.total_bytes - set.done_bytes) / set.bytes_per_second) * 1000)} left`,
        );
      }
    }
    setText(row.progressText, parts.join(" · "));
  }
}
