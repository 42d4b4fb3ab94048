/**
 * The page's elements, looked up once by id (the Eta template in lora-tool/views/index.eta holds them); a
 * missing one stops the script with its id. The auto-caption panel looks up its own.
 *
 * ```ts
 * import { el } from "./elements.js";
 * el.title.textContent = "cats";
 * ```
 */
import { byId } from "./dom.js";

export const el = {
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
