/**
 * The LoRA-Tool page: the dataset list, the chosen dataset (from the URL's #hash), uploads, set-wide
 * caption edits and statistics. The image grid and the auto-caption panel live in their own modules.
 */
import {
  datasetUrl,
  getJson,
  imageUrl,
  postJson,
  type CaptionStats,
  type DatasetDetail,
  type DatasetSummary,
  type RunStatus,
} from "./api.js";
import { AutoCaptionPanel } from "./autocaption-panel.js";
import { busy, byId, plural, setStatus, showError } from "./dom.js";
import { messageOf } from "./kit/web/api.js";
import { formatBytes } from "./kit/web/format.js";
import { ImageGrid } from "./grid.js";
import { bindUploads } from "./uploads.js";

const el = {
  createForm: byId("create-form", HTMLFormElement),
  createName: byId("create-name", HTMLInputElement),
  createError: byId("create-error", HTMLElement),
  sidebarStatus: byId("sidebar-status", HTMLElement),
  list: byId("dataset-list", HTMLUListElement),
  noDatasets: byId("no-datasets", HTMLElement),
  main: byId("main", HTMLElement),
  emptyState: byId("empty-state", HTMLElement),
  emptyError: byId("empty-error", HTMLElement),
  view: byId("dataset-view", HTMLElement),
  title: byId("dataset-title", HTMLElement),
  summary: byId("dataset-summary", HTMLElement),
  renameToggle: byId("rename-toggle", HTMLButtonElement),
  renameForm: byId("rename-form", HTMLFormElement),
  renameName: byId("rename-name", HTMLInputElement),
  renameCancel: byId("rename-cancel", HTMLButtonElement),
  renameError: byId("rename-error", HTMLElement),
  download: byId("download-link", HTMLAnchorElement),
  deleteDataset: byId("delete-dataset", HTMLButtonElement),
  datasetError: byId("dataset-error", HTMLElement),
  dropzone: byId("dropzone", HTMLElement),
  pickFiles: byId("pick-files", HTMLButtonElement),
  fileInput: byId("file-input", HTMLInputElement),
  uploadProgress: byId("upload-progress", HTMLProgressElement),
  uploadStatus: byId("upload-status", HTMLElement),
  uploadErrors: byId("upload-errors", HTMLUListElement),
  stats: byId("stats", HTMLElement),
  triggerForm: byId("trigger-form", HTMLFormElement),
  triggerWord: byId("trigger-word", HTMLInputElement),
  triggerError: byId("trigger-error", HTMLElement),
  triggerStatus: byId("trigger-status", HTMLElement),
  replaceForm: byId("replace-form", HTMLFormElement),
  replaceFind: byId("replace-find", HTMLInputElement),
  replaceWith: byId("replace-with", HTMLInputElement),
  replaceError: byId("replace-error", HTMLElement),
  replaceStatus: byId("replace-status", HTMLElement),
  imagesEmpty: byId("images-empty", HTMLElement),
  grid: byId("image-grid", HTMLUListElement),
  cardTemplate: byId("image-card", HTMLTemplateElement),
  dialog: byId("confirm-dialog", HTMLDialogElement),
  dialogText: byId("confirm-text", HTMLElement),
  dialogOk: byId("confirm-ok", HTMLButtonElement),
};

let current: string | null = null;

const grid = new ImageGrid(el.grid, el.imagesEmpty, el.cardTemplate, {
  onDelete: (image) => void deleteImage(image),
  onSaved: () => void refreshStats(),
});

const panel = new AutoCaptionPanel({
  trigger: () => el.triggerWord.value.trim(),
  flush: async () => await grid.flushAll(),
  refresh: async () => {
    if (current) await loadDataset(current);
  },
});

function submitButton(form: HTMLFormElement): HTMLButtonElement {
  return form.querySelector("button[type=submit]") as HTMLButtonElement;
}

/** Asks in a modal dialog; resolves true when the person confirms. */
function confirmDelete(text: string, okLabel: string): Promise<boolean> {
  el.dialogText.textContent = text;
  el.dialogOk.textContent = okLabel;
  el.dialog.returnValue = "";
  el.dialog.showModal();
  return new Promise((resolve) => {
    el.dialog.addEventListener("close", () => resolve(el.dialog.returnValue === "confirm"), { once: true });
  });
}

// ---- dataset list and selection ----

function renderList(datasets: readonly DatasetSummary[]): void {
  const items = datasets.map((dataset) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#${encodeURIComponent(dataset.name)}`;
    link.dataset.dataset = dataset.name;
    if (dataset.name === current) link.setAttribute("aria-current", "page");
    const name = document.createElement("span");
    name.className = "ds-name";
    name.textContent = dataset.name;
    const count = document.createElement("span");
    count.className = "ds-count";
    count.textContent = `${plural(dataset.images, "image")} · ${dataset.captioned} captioned`;
    link.append(name, count);
    item.append(link);
    return item;
  });
  el.list.replaceChildren(...items);
  el.noDatasets.hidden = datasets.length > 0;
}

async function refreshList(): Promise<void> {
  try {
    renderList((await getJson<{ datasets: DatasetSummary[] }>("/api/datasets")).datasets);
  } catch (error) {
    setStatus(el.sidebarStatus, `The dataset list did not load: ${messageOf(error)}`);
  }
}

function markCurrent(): void {
  for (const link of el.list.querySelectorAll<HTMLAnchorElement>("a[data-dataset]")) {
    if (link.dataset.dataset === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function renderStats(stats: CaptionStats, bytes: number): void {
  const rows: [string, string][] = [
    ["Images", String(stats.images)],
    ["Captioned", String(stats.captioned)],
    ["Without caption", String(stats.missing)],
    [
      "Words (min / avg / max)",
      stats.words ? `${stats.words.min} / ${stats.words.avg} / ${stats.words.max}` : "–",
    ],
    [
      "Characters (min / avg / max)",
      stats.characters ? `${stats.characters.min} / ${stats.characters.avg} / ${stats.characters.max}` : "–",
    ],
    ["Total size", formatBytes(bytes)],
  ];
  el.stats.replaceChildren(
    ...rows.map(([term, value]) => {
      const row = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      row.append(dt, dd);
      return row;
    }),
  );
  el.summary.textContent = `${plural(stats.images, "image")}, ${stats.missing} without a caption, ${formatBytes(bytes)}`;
}

async function refreshStats(): Promise<void> {
  if (!current) return;
  try {
    const detail = (await getJson<{ dataset: DatasetDetail }>(datasetUrl(current))).dataset;
    renderStats(detail.stats, detail.bytes);
  } catch {
    // the next full load shows any problem
  }
}

/** Loads the chosen dataset's images, captions and statistics into the page. */
async function loadDataset(name: string): Promise<RunStatus | null> {
  const answer = await getJson<{ dataset: DatasetDetail; autocaption: RunStatus | null }>(datasetUrl(name));
  if (name !== current) return null;
  el.title.textContent = answer.dataset.name;
  el.download.href = datasetUrl(name, "/download");
  el.download.setAttribute("download", `${name}.zip`);
  renderStats(answer.dataset.stats, answer.dataset.bytes);
  grid.render(name, answer.dataset.images);
  return answer.autocaption;
}

function clearMessages(): void {
  for (const element of [el.datasetError, el.renameError, el.triggerError, el.replaceError, el.emptyError]) {
    showError(element, null);
  }
  for (const element of [el.uploadStatus, el.triggerStatus, el.replaceStatus]) setStatus(element, "");
  el.uploadErrors.replaceChildren();
  el.renameForm.hidden = true;
  el.renameToggle.setAttribute("aria-expanded", "false");
}

async function select(name: string | null): Promise<void> {
  await grid.flushAll();
  current = name;
  markCurrent();
  clearMessages();
  if (name === null) {
    grid.clear();
    panel.show(null, null);
    el.view.hidden = true;
    el.emptyState.hidden = false;
    return;
  }
  try {
    const run = await loadDataset(name);
    if (name !== current) return;
    el.view.hidden = false;
    el.emptyState.hidden = true;
    panel.show(name, run);
  } catch (error) {
    current = null;
    grid.clear();
    el.view.hidden = true;
    el.emptyState.hidden = false;
    showError(el.emptyError, messageOf(error));
  }
}

function nameFromHash(): string | null {
  const raw = location.hash.replace(/^#/, "");
  if (raw === "") return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function go(name: string | null): void {
  const hash = name === null ? "" : `#${encodeURIComponent(name)}`;
  if (location.hash === hash || (hash === "" && location.hash === "")) {
    void select(name);
  } else if (name === null) {
    history.pushState(null, "", location.pathname + location.search);
    void select(null);
  } else {
    location.hash = hash;
  }
}

window.addEventListener("hashchange", () => void select(nameFromHash()));

// ---- create, rename, delete ----

el.createForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = el.createName.value.trim();
  showError(el.createError, null, el.createName);
  setStatus(el.sidebarStatus, "");
  if (name === "") {
    showError(el.createError, "Type a name for the new dataset.", el.createName);
    el.createName.focus();
    return;
  }
  void busy(submitButton(el.createForm), async () => {
    try {
      await postJson(`/api/datasets`, { name });
      el.createName.value = "";
      await refreshList();
      go(name);
      el.main.focus();
    } catch (error) {
      showError(el.createError, messageOf(error), el.createName);
      el.createName.focus();
    }
  });
});

el.renameToggle.addEventListener("click", () => {
  const open = el.renameForm.hidden;
  el.renameForm.hidden = !open;
  el.renameToggle.setAttribute("aria-expanded", String(open));
  if (open) {
    el.renameName.value = current ?? "";
    el.renameName.focus();
    el.renameName.select();
  }
});

el.renameCancel.addEventListener("click", () => {
  el.renameForm.hidden = true;
  el.renameToggle.setAttribute("aria-expanded", "false");
  showError(el.renameError, null, el.renameName);
  el.renameToggle.focus();
});

el.renameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const from = current;
  const to = el.renameName.value.trim();
  if (!from) return;
  showError(el.renameError, null, el.renameName);
  if (to === "") {
    showError(el.renameError, "Type the new name.", el.renameName);
    return;
  }
  void busy(submitButton(el.renameForm), async () => {
    try {
      await grid.flushAll();
      await postJson(datasetUrl(from, "/rename"), { name: to });
      await refreshList();
      go(to);
    } catch (error) {
      showError(el.renameError, messageOf(error), el.renameName);
      el.renameName.focus();
    }
  });
});

el.deleteDataset.addEventListener("click", () => {
  const name = current;
  if (!name) return;
  void (async () => {
    const ok = await confirmDelete(
      `Delete the dataset "${name}"? Its folder moves to datasets/.trash, from where it can still be recovered on the pod.`,
      "Delete dataset",
    );
    if (!ok) {
      el.deleteDataset.focus();
      return;
    }
    try {
      await grid.flushAll();
      const answer = await postJson<{ message: string }>(datasetUrl(name, "/delete"), {});
      await refreshList();
      go(null);
      setStatus(el.sidebarStatus, answer.message, true);
      el.createName.focus();
    } catch (error) {
      showError(el.datasetError, messageOf(error));
    }
  })();
});

async function deleteImage(image: string): Promise<void> {
  const dataset = current;
  if (!dataset) return;
  const ok = await confirmDelete(
    `Delete "${image}" and its caption? They move to datasets/.trash.`,
    "Delete image",
  );
  if (!ok) return;
  try {
    await postJson(imageUrl(dataset, image, "/delete"), {});
    await loadDataset(dataset);
    void refreshList();
  } catch (error) {
    showError(el.datasetError, messageOf(error));
  }
}

// ---- uploads ----

bindUploads(
  {
    dropzone: el.dropzone,
    pickFiles: el.pickFiles,
    fileInput: el.fileInput,
    progress: el.uploadProgress,
    status: el.uploadStatus,
    errors: el.uploadErrors,
  },
  {
    dataset: () => current,
    uploaded: async (dataset) => {
      if (current === dataset) await loadDataset(dataset);
    },
    finished: () => void refreshList(),
  },
);

// ---- set-wide caption edits ----

interface SetWideEdit {
  form: HTMLFormElement;
  /** The field that gets the focus and the error. */
  field: HTMLInputElement;
  error: HTMLElement;
  status: HTMLElement;
  /** After the dataset's address: `/trigger`, `/replace`. */
  suffix: string;
  /** Reads the form when it is sent: why it cannot go, or the request body (made once edits are saved). */
  read: () => { problem: string } | { body: () => Record<string, unknown> };
  /** Runs after the edit has been applied and shown. */
  after?: () => void;
}

/** A form that changes every caption of the current dataset, saving captions still being typed first. */
function setWideEditForm(edit: SetWideEdit): void {
  edit.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const dataset = current;
    const read = edit.read();
    showError(edit.error, null, edit.field);
    setStatus(edit.status, "");
    if (!dataset) return;
    if ("problem" in read) {
      showError(edit.error, read.problem, edit.field);
      edit.field.focus();
      return;
    }
    void busy(submitButton(edit.form), async () => {
      try {
        await grid.flushAll();
        const answer = await postJson<{ message: string }>(datasetUrl(dataset, edit.suffix), read.body());
        await loadDataset(dataset);
        setStatus(edit.status, answer.message, true);
        edit.after?.();
      } catch (error) {
        showError(edit.error, messageOf(error), edit.field);
      }
    });
  });
}

setWideEditForm({
  form: el.triggerForm,
  field: el.triggerWord,
  error: el.triggerError,
  status: el.triggerStatus,
  suffix: "/trigger",
  read: () => {
    const trigger = el.triggerWord.value.trim();
    if (trigger === "") return { problem: "Type the trigger word first." };
    return { body: () => ({ trigger_word: trigger }) };
  },
  after: () => void refreshList(),
});

setWideEditForm({
  form: el.replaceForm,
  field: el.replaceFind,
  error: el.replaceError,
  status: el.replaceStatus,
  suffix: "/replace",
  read: () => {
    if (el.replaceFind.value === "") return { problem: "Type the text to find." };
    return { body: () => ({ find: el.replaceFind.value, replace: el.replaceWith.value }) };
  },
});

// Saves captions still being typed when the tab is hidden or closed.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") void grid.flushAll();
});

void select(nameFromHash());
