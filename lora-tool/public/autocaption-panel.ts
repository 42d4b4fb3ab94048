/** The auto-caption panel: endpoint settings, prompt presets, start and cancel, and polled progress. */
import { datasetUrl, getJson, postJson, type PublicSettings, type RunStatus } from "./api.js";
import { busy, byId, setStatus, showError } from "./dom.js";
import { messageOf } from "./kit/web/api.js";

const POLL_MS = 1000;

interface PanelHandlers {
  /** The trigger word typed in the page, put at the start of new captions. */
  trigger(): string;
  /** Saves captions still being typed. */
  flush(): Promise<void>;
  /** Reloads the dataset's images and statistics. */
  refresh(): Promise<void>;
}

interface Presets {
  prompts: Record<string, string>;
}

function isActive(run: RunStatus | null): boolean {
  return run !== null && (run.state === "running" || run.state === "cancelling");
}

export class AutoCaptionPanel {
  private readonly settingsForm = byId("settings-form", HTMLFormElement);
  private readonly baseUrl = byId("set-base-url", HTMLInputElement);
  private readonly model = byId("set-model", HTMLInputElement);
  private readonly apiKey = byId("set-api-key", HTMLInputElement);
  private readonly clearKey = byId("clear-key", HTMLButtonElement);
  private readonly keyState = byId("api-key-state", HTMLElement);
  private readonly concurrency = byId("set-concurrency", HTMLInputElement);
  private readonly settingsError = byId("settings-error", HTMLElement);
  private readonly settingsStatus = byId("settings-status", HTMLElement);
  private readonly settingsSummary = byId("settings-summary", HTMLElement);
  private readonly form = byId("auto-form", HTMLFormElement);
  private readonly subject = byId("auto-subject", HTMLSelectElement);
  private readonly style = byId("auto-style", HTMLSelectElement);
  private readonly prompt = byId("auto-prompt", HTMLTextAreaElement);
  private readonly overwrite = byId("auto-overwrite", HTMLInputElement);
  private readonly start = byId("auto-start", HTMLButtonElement);
  private readonly cancel = byId("auto-cancel", HTMLButtonElement);
  private readonly progress = byId("auto-progress", HTMLProgressElement);
  private readonly status = byId("auto-status", HTMLElement);
  private readonly error = byId("auto-error", HTMLElement);
  private readonly errors = byId("auto-errors", HTMLUListElement);

  private dataset: string | null = null;
  private pollToken = 0;
  private prompts: Record<string, string> = {};

  constructor(private readonly handlers: PanelHandlers) {
    this.settingsForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.saveSettings({});
    });
    this.clearKey.addEventListener("click", () => void this.saveSettings({ clear_api_key: true }));
    this.subject.addEventListener("change", () => this.fillPrompt());
    this.style.addEventListener("change", () => this.fillPrompt());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.startRun();
    });
    this.cancel.addEventListener("click", () => void this.cancelRun());
    void this.loadPresets();
  }

  private async loadPresets(): Promise<void> {
    try {
      this.prompts = (await getJson<Presets>("/api/presets")).prompts;
      this.fillPrompt();
    } catch (error) {
      showError(this.error, `The prompt presets did not load: ${messageOf(error)}`);
    }
  }

  private fillPrompt(): void {
    this.prompt.value = this.prompts[`${this.subject.value}:${this.style.value}`] ?? "";
  }

  private showSettings(settings: PublicSettings): void {
    this.baseUrl.value = settings.base_url;
    this.model.value = settings.model;
    this.concurrency.value = String(settings.concurrency);
    this.apiKey.value = "";
    this.apiKey.placeholder = settings.api_key_set
      ? "Leave empty to keep the saved key"
      : "Paste a key (not needed for most local servers)";
    this.keyState.textContent = settings.api_key_set
      ? `A key is saved on the server (${settings.api_key_hint}).`
      : "No key saved.";
    this.clearKey.hidden = !settings.api_key_set;
    this.settingsSummary.textContent = `${settings.model} at ${settings.base_url}`;
  }

  private async saveSettings(extra: { clear_api_key?: boolean }): Promise<void> {
    const fields = [this.baseUrl, this.model, this.apiKey, this.concurrency];
    showError(this.settingsError, null);
    for (const field of fields) field.removeAttribute("aria-invalid");
    const body: Record<string, unknown> = {
      base_url: this.baseUrl.value,
      model: this.model.value,
      concurrency: Number(this.concurrency.value),
      ...extra,
    };
    if (this.apiKey.value.trim() !== "" && !extra.clear_api_key) body.api_key = this.apiKey.value.trim();
    const submit = this.settingsForm.querySelector("button[type=submit]") as HTMLButtonElement;
    try {
      const answer = await busy(
        submit,
        async () => await postJson<{ settings: PublicSettings; message: string }>("/api/settings", body),
      );
      this.showSettings(answer.settings);
      setStatus(
        this.settingsStatus,
        extra.clear_api_key ? "The saved key is forgotten." : answer.message,
        true,
      );
    } catch (error) {
      const message = messageOf(error);
      const field = message.includes("base_url")
        ? this.baseUrl
        : message.includes("model")
          ? this.model
          : message.includes("api_key")
            ? this.apiKey
            : message.includes("concurrency")
              ? this.concurrency
              : undefined;
      showError(this.settingsError, message, field);
      setStatus(this.settingsStatus, "");
    }
  }

  /** Shows the panel for a dataset (and resumes watching a run that is still going). */
  show(dataset: string | null, run: RunStatus | null): void {
    this.dataset = dataset;
    this.pollToken++;
    showError(this.error, null);
    this.render(run);
    if (dataset && isActive(run)) void this.poll(dataset, this.pollToken);
  }

  private render(run: RunStatus | null): void {
    const active = isActive(run);
    this.start.disabled = active;
    this.cancel.disabled = !run || run.state !== "running";
    this.progress.hidden = run === null;
    this.errors.replaceChildren();
    if (!run) {
      setStatus(this.status, "");
      return;
    }
    this.progress.max = Math.max(1, run.total);
    this.progress.value = run.done;
    if (active) {
      const working = run.in_progress.length > 0 ? ` Now: ${run.in_progress.join(", ")}.` : "";
      const verb = run.state === "cancelling" ? "Cancelling" : "Captioning";
      setStatus(
        this.status,
        `${verb}… ${run.done} of ${run.total} (${run.captioned} new, ${run.skipped} skipped, ${run.failed} failed` +
          `${run.retries ? `, ${run.retries} ${run.retries === 1 ? "retry" : "retries"}` : ""}).${working}`,
      );
    } else {
      setStatus(this.status, run.message, run.state === "done" && run.failed === 0);
      if (run.state === "failed") showError(this.error, run.message);
    }
    for (const failure of run.errors) {
      const item = document.createElement("li");
      item.textContent = `${failure.image}: ${failure.message}`;
      this.errors.append(item);
    }
  }

  private async poll(dataset: string, token: number): Promise<void> {
    let lastDone = -1;
    while (token === this.pollToken) {
      let run: RunStatus | null;
      try {
        run = (await getJson<{ run: RunStatus | null }>(datasetUrl(dataset, "/autocaption"))).run;
      } catch (error) {
        showError(this.error, `Progress is not available: ${messageOf(error)}`);
        await new Promise((resolve) => window.setTimeout(resolve, POLL_MS * 3));
        continue;
      }
      if (token !== this.pollToken) return;
      this.render(run);
      if (run && run.done !== lastDone) {
        lastDone = run.done;
        await this.handlers.refresh();
      }
      if (!isActive(run)) {
        await this.handlers.refresh();
        return;
      }
      await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
    }
  }

  private async startRun(): Promise<void> {
    const dataset = this.dataset;
    if (!dataset) return;
    showError(this.error, null, this.prompt);
    try {
      await this.handlers.flush();
      const answer = await busy(
        this.start,
        async () =>
          await postJson<{ run: RunStatus }>(datasetUrl(dataset, "/autocaption"), {
            subject: this.subject.value,
            style: this.style.value,
            prompt: this.prompt.value,
            overwrite: this.overwrite.checked,
            trigger_word: this.handlers.trigger(),
          }),
      );
      this.show(dataset, answer.run);
    } catch (error) {
      showError(this.error, messageOf(error));
    }
  }

  private async cancelRun(): Promise<void> {
    const dataset = this.dataset;
    if (!dataset) return;
    try {
      const answer = await postJson<{ run: RunStatus }>(datasetUrl(dataset, "/autocaption/cancel"), {});
      this.render(answer.run);
    } catch (error) {
      showError(this.error, messageOf(error));
    }
  }
}
