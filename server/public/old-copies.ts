/**
 * The old copies a reinstall kept beside a tool: each with its tool, its age and the disk it holds, and
 * Delete (asked first; it runs as a job the output follows). Sizes not measured yet are asked for again.
 */
import { getJson, messageOf, postJson } from "./api.js";
import type { AdminHooks } from "./admin-tools.js";
import { errorLine, h, setHidden, setText, showError, withBusy } from "./dom.js";
import { bytes, duration, since } from "./format.js";
import { KeyedList } from "./keyed.js";
import type { Job, OldCopy } from "./types.js";

export interface OldCopiesElements {
  list: HTMLUListElement;
  empty: HTMLElement;
  error: HTMLElement;
}

interface Row {
  /** The copy as last listed (its size arrives after the row is made). */
  copy: OldCopy;
  root: HTMLLIElement;
  facts: HTMLSpanElement;
  remove: HTMLButtonElement;
  error: HTMLElement;
}

const MEASURE_POLL_MS = 2000;

export class OldCopiesView {
  private readonly rows: KeyedList<OldCopy, Row>;
  private timer: number | undefined;

  constructor(
    private readonly el: OldCopiesElements,
    private readonly hooks: AdminHooks & { toolName: (id: string) => string },
  ) {
    this.rows = new KeyedList(
      el.list,
      (copy) => copy.name,
      (copy) => this.row(copy),
      (row, copy) => this.update(row, copy),
    );
  }

  async load(): Promise<void> {
    window.clearTimeout(this.timer);
    try {
      const { copies } = await getJson<{ copies: OldCopy[] }>("/old_copies");
      showError(this.el.error, null);
      this.rows.render(copies);
      setHidden(this.el.empty, copies.length > 0);
      if (copies.some((copy) => copy.measuring)) {
        this.timer = window.setTimeout(() => void this.load(), MEASURE_POLL_MS);
      }
    } catch (error) {
      showError(this.el.error, `The old copies could not be listed: ${messageOf(error)}`);
    }
  }

  private row(copy: OldCopy): Row {
    const facts = h("span", { class: "old-copy-facts muted" });
    const remove = h("button", {
      class: "btn small danger",
      text: "Delete",
      attrs: { type: "button", "aria-label": `Delete ${copy.name}` },
    });
    const error = errorLine();
    const head = h("div", { class: "old-copy-head" }, h("strong", { text: copy.name }), facts);
    const row: Row = {
      copy,
      root: h("li", { class: "old-copy" }, head, remove, error),
      facts,
      remove,
      error,
    };
    remove.addEventListener("click", () => void this.remove(row.copy, remove, error));
    return row;
  }

  private update(row: Row, copy: OldCopy): void {
    row.copy = copy;
    const age = since(copy.made_at, Date.now());
    const size =
      copy.bytes !== null ? bytes(copy.bytes) : copy.measuring ? "measuring its size…" : "size unknown";
    const made = age === null ? "" : ` · set aside ${duration(age)} ago`;
    setText(row.facts, `${this.hooks.toolName(copy.tool_id)}${made} · ${size}`);
    const deleting = this.hooks
      .pendingJobs()
      .some((job: Job) => job.kind === "old_copy" && job.target === copy.name);
    if (row.remove.getAttribute("aria-busy") !== "true") row.remove.disabled = deleting;
  }

  private async remove(copy: OldCopy, button: HTMLButtonElement, error: HTMLElement): Promise<void> {
    const size = copy.bytes === null ? "" : ` and frees ${bytes(copy.bytes)}`;
    const ok = await this.hooks.confirm({
      title: `Delete ${copy.name}?`,
      body: `This deletes the old copy of ${this.hooks.toolName(copy.tool_id)} that a reinstall kept${size}. Anything still in it is gone for good.`,
      confirm: "Delete it",
      danger: true,
    });
    if (!ok) return;
    showError(error, null);
    try {
      await withBusy(button, "Deleting…", async () => {
        const answer = await postJson<{ job_id: string }>("/old_copies_action", {
          action: "delete",
          name: copy.name,
        });
        this.hooks.follow(`job:${answer.job_id}`, `Job: Delete ${copy.name}`);
      });
    } catch (failure) {
      showError(error, `${copy.name}: ${messageOf(failure)}`);
    }
    this.hooks.jobsChanged();
  }
}
