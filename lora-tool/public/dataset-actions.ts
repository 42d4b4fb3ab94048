/**
 * What changes a dataset as a whole: create it (sidebar form), rename it, delete it (to datasets/.trash,
 * after a confirmation), and delete one of its images with its caption.
 *
 * ```ts
 * bindDatasetActions(page);               // the create, rename and delete controls
 * await deleteImage(page, "cat_01.png");  // asks first, then reloads the dataset and the list
 * ```
 */
import { datasetUrl, imageUrl, postJson } from "./api.js";
import { confirmDelete } from "./confirm.js";
import { busy, setStatus, showError, submitButton } from "./dom.js";
import { el } from "./elements.js";
import { messageOf } from "./kit/web/api.js";
import type { Page } from "./page.js";

export function bindDatasetActions(page: Page): void {
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
        await page.refreshList();
        page.go(name);
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
      el.renameName.value = page.current() ?? "";
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
    const from = page.current();
    const to = el.renameName.value.trim();
    if (!from) return;
    showError(el.renameError, null, el.renameName);
    if (to === "") {
      showError(el.renameError, "Type the new name.", el.renameName);
      return;
    }
    void busy(submitButton(el.renameForm), async () => {
      try {
        await page.flush();
        await postJson(datasetUrl(from, "/rename"), { name: to });
        await page.refreshList();
        page.go(to);
      } catch (error) {
        showError(el.renameError, messageOf(error), el.renameName);
        el.renameName.focus();
      }
    });
  });

  el.deleteDataset.addEventListener("click", () => {
    const name = page.current();
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
        await page.flush();
        const answer = await postJson<{ message: string }>(datasetUrl(name, "/delete"), {});
        await page.refreshList();
        page.go(null);
        setStatus(el.sidebarStatus, answer.message, true);
        el.createName.focus();
      } catch (error) {
        showError(el.datasetError, messageOf(error));
      }
    })();
  });
}

export async function deleteImage(page: Page, image: string): Promise<void> {
  const dataset = page.current();
  if (!dataset) return;
  const ok = await confirmDelete(
    `Delete "${image}" and its caption? They move to datasets/.trash.`,
    "Delete image",
  );
  if (!ok) return;
  try {
    await postJson(imageUrl(dataset, image, "/delete"), {});
    await page.reload(dataset);
    void page.refreshList();
  } catch (error) {
    showError(el.datasetError, messageOf(error));
  }
}
