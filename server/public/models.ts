/** Model sets: status, checkboxes, tokens, Download, and a progress bar per set while a download runs. */
import { ApiError, getJson, messageOf, postJson } from "./api.js";
import { h, setHidden, setText, showError, withBusy } from "./dom.js";
import { bytes, duration, plural } from "./format.js";
import { KeyedList } from "./keyed.js";
import type { AdminHooks } from "./admin-tools.js";
import type { Job, ModelProgress, ModelSet, ModelSetProgress } from "./types.js";

interface SetRow {
  root: HTMLLIElement;
  box: HTMLInputElement;
  count: HTMLSpanElement;
  size: HTMLSpanElement;
  progressBlock: HTMLDivElement;
  bar: HTMLProgressElement;
  progressText: HTMLSpanElement;
}

function setRow(set: ModelSet): SetRow {
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
  return { root, box, count, size, progressBlock, bar, progressText };
}

function updateRow(row: SetRow, set: ModelSet): void {
  const complete = set.total > 0 && set.installed >= set.total;
  row.root.dataset.complete = String(complete);
  setText(
    row.count,
    complete ? `All ${set.total} files` : `${set.installed} of ${plural(set.total, "file")}`,
  );
  row.count.dataset.state = complete ? "complete" : set.installed > 0 ? "partial" : "missing";
  setText(row.size, set.bytes > 0 ? bytes(set.bytes) : "size unknown");
}

export class ModelsView {
  private readonly list: KeyedList<ModelSet, SetRow>;
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
    this.list = new KeyedList(el.list, (set) => set.id, setRow, updateRow);
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
    this.list.render(this.sets);
    setHidden(this.el.empty, this.sets.length > 0);
    this.updateButton();
  }

  private get rows(): Map<string, SetRow> {
    return this.list.views;
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
