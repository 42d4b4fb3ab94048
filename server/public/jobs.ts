/**
 * The job queue: status, what, who asked, how long, exit code, Cancel for queued and running jobs.
 * Clicking a job (or its Output button) follows its log.
 */
import { clock, messageOf, postJson } from "./api.js";
import { errorLine, h, setAttr, setHidden, setText, showError } from "./dom.js";
import { capitalize, clockTime, duration, since } from "./format.js";
import { KeyedList } from "./keyed.js";
import type { Job, JobStatus } from "./types.js";

const SHOWN = 25;

const STATUS_LABEL: Record<JobStatus, string> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function jobTitle(job: Job, toolName: (id: string) => string): string {
  if (job.kind === "tool") return `${capitalize(job.action)} ${toolName(job.target)}`;
  if (job.kind === "custom_nodes") return `${capitalize(job.action)} custom nodes`;
  if (job.kind === "models")
    return job.target ? `Download models: ${job.target.split(",").join(", ")}` : "Download models";
  return `${capitalize(job.action)} ${job.target}`;
}

export function isPending(job: Job): boolean {
  return job.status === "queued" || job.status === "running";
}

export interface JobsHooks {
  toolName: (id: string) => string;
  follow: (source: string, title: string) => void;
  changed: () => void;
  adminMode: () => boolean;
}

class JobRow {
  readonly root: HTMLLIElement;
  private readonly badge: HTMLSpanElement;
  private readonly what: HTMLSpanElement;
  private readonly meta: HTMLParagraphElement;
  private readonly message: HTMLParagraphElement;
  private readonly output: HTMLButtonElement;
  private readonly cancel: HTMLButtonElement;
  private readonly error: HTMLParagraphElement;
  job: Job;

  constructor(
    job: Job,
    private readonly hooks: JobsHooks,
  ) {
    this.job = job;
    this.badge = h(
      "span",
      { class: "badge" },
      h("span", { class: "dot", attrs: { "aria-hidden": "true" } }),
      h("span", { class: "badge-text" }),
    );
    this.what = h("span", { class: "job-what" });
    this.meta = h("p", { class: "job-meta" });
    this.message = h("p", { class: "job-message" });
    this.output = h("button", {
      class: "btn ghost small",
      text: "Output",
      attrs: { type: "button", "aria-pressed": "false" },
    });
    this.cancel = h("button", { class: "btn danger small", text: "Cancel", attrs: { type: "button" } });
    this.error = errorLine();
    this.root = h(
      "li",
      { class: "job" },
      h("div", { class: "job-main" }, this.badge, this.what),
      this.meta,
      this.message,
      h("div", { class: "job-actions" }, this.output, this.cancel),
      this.error,
    );
    this.output.addEventListener("click", () => this.follow());
    this.cancel.addEventListener("click", () => void this.doCancel());
    this.root.addEventListener("click", (event) => {
      if ((event.target as Element | null)?.closest("button, a")) return;
      this.follow();
    });
  }

  private title(): string {
    return jobTitle(this.job, this.hooks.toolName);
  }

  private follow(): void {
    this.hooks.follow(`job:${this.job.job_id}`, `Job: ${this.title()}`);
  }

  setFollowed(followed: boolean): void {
    this.root.classList.toggle("selected", followed);
    setAttr(this.output, "aria-pressed", followed ? "true" : "false");
  }

  update(job: Job): void {
    this.job = job;
    this.root.dataset.status = job.status;
    this.badge.dataset.state = job.status;
    setText(this.badge.querySelector(".badge-text")!, STATUS_LABEL[job.status] ?? job.status);
    setText(this.what, this.title());
    setAttr(this.output, "aria-label", `Show the output of ${this.title()}`);
    setAttr(this.cancel, "aria-label", `Cancel ${this.title()}`);
    setHidden(this.cancel, !(isPending(job) && this.hooks.adminMode()));
    const message = job.message ?? (job.cancelled_by ? `Cancelled by ${job.cancelled_by}.` : "");
    setText(this.message, message);
    setHidden(this.message, message === "");
    this.tick();
  }

  tick(): void {
    const job = this.job;
    const parts = [`asked by ${job.requested_by}`, clockTime(job.created_at)];
    const started = since(job.started_at, clock.now());
    if (job.status === "running" && started !== null) parts.push(`running ${duration(started)}`);
    else if (job.started_at && job.ended_at) {
      parts.push(`took ${duration(Date.parse(job.ended_at) - Date.parse(job.started_at))}`);
    }
    if (job.exit_code !== null && job.exit_code !== undefined) parts.push(`exit code ${job.exit_code}`);
    setText(this.meta, parts.filter(Boolean).join(" · "));
  }

  private async doCancel(): Promise<void> {
    showError(this.error, null);
    this.cancel.disabled = true;
    setText(this.cancel, "Cancelling…");
    try {
      await postJson("/cancel_job", { job_id: this.job.job_id });
    } catch (error) {
      showError(this.error, `It could not be cancelled: ${messageOf(error)}`);
    } finally {
      this.cancel.disabled = false;
      setText(this.cancel, "Cancel");
      this.hooks.changed();
    }
  }
}

export class JobsView {
  private readonly rows: KeyedList<Job, JobRow>;
  private followed: string | null = null;

  constructor(
    list: HTMLOListElement,
    private readonly empty: HTMLElement,
    hooks: JobsHooks,
  ) {
    this.rows = new KeyedList(
      list,
      (job) => job.job_id,
      (job) => {
        const row = new JobRow(job, hooks);
        row.setFollowed(this.followed === `job:${job.job_id}`);
        return row;
      },
      (row, job) => row.update(job),
    );
  }

  render(jobs: Job[]): void {
    const shown = jobs.slice(0, SHOWN);
    this.rows.render(shown);
    setHidden(this.empty, shown.length > 0);
  }

  tick(): void {
    for (const row of this.rows.views.values()) row.tick();
  }

  setFollowed(source: string | null): void {
    this.followed = source;
    for (const [id, row] of this.rows.views) row.setFollowed(source === `job:${id}`);
  }
}
