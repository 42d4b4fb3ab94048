/**
 * The LoRA-Tool page: the chosen dataset (from the URL's #hash) shown with its images, captions and
 * statistics, and the page's parts wired to it. The dataset list, the dataset actions, uploads, set-wide
 * caption edits, the image grid and the auto-caption panel live in their own modules.
 *
 * ```html
 * <script type="module" src="/static/app.js"></script>
 * ```
 */
import { datasetUrl, getJson, type DatasetDetail, type RunStatus } from "./api.js";
import { AutoCaptionPanel } from "./autocaption-panel.js";
import { bindDatasetActions, deleteImage } from "./dataset-actions.js";
import { DatasetList } from "./dataset-list.js";
import { setStatus, showError } from "./dom.js";
import { el } from "./elements.js";
import { ImageGrid } from "./grid.js";
import { go, nameFromHash, onHashChange } from "./hash.js";
import { messageOf } from "./kit/web/api.js";
import type { Page } from "./page.js";
import { bindSetWideEdits } from "./set-wide-edits.js";
import { renderStats } from "./stats.js";
import { bindUploads } from "./uploads.js";

let current: string | null = null;

const list = new DatasetList(() => current);

const page: Page = {
  current: () => current,
  flush: async () => await grid.flushAll(),
  reload: async (name) => await loadDataset(name),
  refreshList: async () => await list.refresh(),
  go: (name) => go(name, select),
};

const grid = new ImageGrid(el.grid, el.imagesEmpty, el.cardTemplate, {
  onDelete: (image) => void deleteImage(page, image),
  onSaved: () => void refreshStats(),
});

const panel = new AutoCaptionPanel({
  trigger: () => el.triggerWord.value.trim(),
  flush: async () => await grid.flushAll(),
  refresh: async () => {
    if (current) await loadDataset(current);
  },
});

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
  list.markCurrent();
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

onHashChange(select);
bindDatasetActions(page);

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
    finished: () => void list.refresh(),
  },
);

bindSetWideEdits(page);

// Saves captions still being typed when the tab is hidden or closed.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") void grid.flushAll();
});

void select(nameFromHash());
