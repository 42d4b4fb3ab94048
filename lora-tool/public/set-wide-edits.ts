/**
 * The forms that change every caption of the chosen dataset: a trigger word put at the start of each, and
 * an exact find and replace. Captions still being typed are saved first; the dataset is shown again after.
 *
 * ```ts
 * bindSetWideEdits(page);   // the trigger word and find/replace forms
 * ```
 */
import { datasetUrl, postJson } from "./api.js";
import { busy, setStatus, showError, submitButton } from "./dom.js";
import { el } from "./elements.js";
import { messageOf } from "./kit/web/api.js";
import type { Page } from "./page.js";

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
function setWideEditForm(page: Page, edit: SetWideEdit): void {
  edit.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const dataset = page.current();
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
        await page.flush();
        const answer = await postJson<{ message: string }>(datasetUrl(dataset, edit.suffix), read.body());
        await page.reload(dataset);
        setStatus(edit.status, answer.message, true);
        edit.after?.();
      } catch (error) {
        showError(edit.error, messageOf(error), edit.field);
      }
    });
  });
}

export function bindSetWideEdits(page: Page): void {
  setWideEditForm(page, {
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
    after: () => void page.refreshList(),
  });

  setWideEditForm(page, {
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
}
