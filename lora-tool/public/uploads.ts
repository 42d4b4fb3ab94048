/**
 * Uploads into the current dataset: files picked or dropped, sent in batches (at most 20 files or 200 MB
 * each) with a progress bar, files over 50 MB refused before sending, and every refusal listed.
 */
import { datasetUrl, uploadFiles, type UploadAnswer } from "./api.js";
import { plural, setStatus } from "./dom.js";
import { messageOf } from "./kit/web/api.js";

const MAX_FILE_BYTES = 50 * 1024 * 1024;
const BATCH_FILES = 20;
const BATCH_BYTES = 200 * 1024 * 1024;

export interface UploadElements {
  dropzone: HTMLElement;
  pickFiles: HTMLButtonElement;
  fileInput: HTMLInputElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  errors: HTMLUListElement;
}

export interface UploadHooks {
  /** The dataset uploads go to now, or null. */
  dataset: () => string | null;
  /** After each batch: show what arrived. */
  uploaded: (dataset: string) => Promise<void>;
  /** After all batches. */
  finished: () => void;
}

function batches(files: readonly File[]): File[][] {
  const result: File[][] = [];
  let batch: File[] = [];
  let bytes = 0;
  for (const file of files) {
    if (batch.length > 0 && (batch.length >= BATCH_FILES || bytes + file.size > BATCH_BYTES)) {
      result.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += file.size;
  }
  if (batch.length > 0) result.push(batch);
  return result;
}

function listRefused(ui: UploadElements, items: readonly string[]): void {
  ui.errors.replaceChildren(
    ...items.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }),
  );
}

async function uploadAll(ui: UploadElements, hooks: UploadHooks, files: readonly File[]): Promise<void> {
  const dataset = hooks.dataset();
  if (!dataset || files.length === 0) return;
  const refused: string[] = [];
  const sendable = files.filter((file) => {
    if (file.size <= MAX_FILE_BYTES) return true;
    refused.push(`"${file.name}" is larger than 50 MB.`);
    return false;
  });
  const totalBytes = sendable.reduce((sum, file) => sum + file.size, 0) || 1;
  let sentBytes = 0;
  let added = 0;
  ui.progress.hidden = false;
  ui.progress.value = 0;
  listRefused(ui, refused);
  ui.pickFiles.disabled = true;
  try {
    for (const batch of batches(sendable)) {
      const batchBytes = batch.reduce((sum, file) => sum + file.size, 0);
      setStatus(ui.status, `Uploading ${plural(sendable.length, "file")}…`);
      let answer: UploadAnswer;
      try {
        answer = await uploadFiles(datasetUrl(dataset, "/images"), batch, (fraction) => {
          ui.progress.value = ((sentBytes + fraction * batchBytes) / totalBytes) * 100;
        });
      } catch (error) {
        refused.push(messageOf(error));
        listRefused(ui, refused);
        break;
      }
      sentBytes += batchBytes;
      added += answer.added?.length ?? 0;
      if (answer.rejected && answer.rejected.length > 0) {
        refused.push(...answer.rejected.map((item) => `"${item.name}" ${item.message}.`));
      } else if (!answer.success) {
        refused.push(answer.message);
      }
      listRefused(ui, refused);
      await hooks.uploaded(dataset);
    }
  } finally {
    ui.pickFiles.disabled = false;
    ui.progress.hidden = true;
    ui.fileInput.value = "";
  }
  setStatus(
    ui.status,
    `Added ${plural(added, "image")}${refused.length ? `; ${refused.length} refused (see below)` : ""}.`,
    added > 0 && refused.length === 0,
  );
  hooks.finished();
}

/** Wires the picker, the drop zone and the page (a file dropped beside the zone must not replace it). */
export function bindUploads(ui: UploadElements, hooks: UploadHooks): void {
  ui.pickFiles.addEventListener("click", () => ui.fileInput.click());
  ui.fileInput.addEventListener("change", () => void uploadAll(ui, hooks, [...(ui.fileInput.files ?? [])]));

  let dragDepth = 0;
  ui.dropzone.addEventListener("dragenter", (event) => {
    event.preventDefault();
    dragDepth++;
    ui.dropzone.classList.add("dragging");
  });
  ui.dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  ui.dropzone.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) ui.dropzone.classList.remove("dragging");
  });
  ui.dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dragDepth = 0;
    ui.dropzone.classList.remove("dragging");
    void uploadAll(ui, hooks, [...(event.dataTransfer?.files ?? [])]);
  });
  // A file dropped beside the drop zone must not replace the page.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
}
