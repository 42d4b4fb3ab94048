/**
 * The confirmation before a delete: a modal dialog with the question and the button that confirms.
 *
 * ```ts
 * if (await confirmDelete(`Delete the dataset "cats"?`, "Delete dataset")) await remove();
 * ```
 */
import { el } from "./elements.js";

/** Asks in a modal dialog; resolves true when the person confirms. */
export function confirmDelete(text: string, okLabel: string): Promise<boolean> {
  el.dialogText.textContent = text;
  el.dialogOk.textContent = okLabel;
  el.dialog.returnValue = "";
  el.dialog.showModal();
  return new Promise((resolve) => {
    el.dialog.addEventListener("close", () => resolve(el.dialog.returnValue === "confirm"), { once: true });
  });
}
