/** A confirmation in a modal <dialog>: answers true when the person confirmed. */
import { byId, setText } from "./dom.js";

export interface ConfirmOptions {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
}

export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  const dialog = byId("confirm-dialog", HTMLDialogElement);
  const ok = byId("confirm-ok", HTMLButtonElement);
  const cancel = byId("confirm-cancel", HTMLButtonElement);
  setText(byId("confirm-title", HTMLElement), options.title);
  setText(byId("confirm-body", HTMLElement), options.body);
  setText(ok, options.confirm);
  ok.classList.toggle("danger", options.danger === true);
  ok.classList.toggle("primary", options.danger !== true);
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      ok.removeEventListener("click", onOk);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      opener?.focus();
      resolve(answer);
    };
    const onOk = (event: Event) => {
      event.preventDefault();
      done(true);
    };
    const onCancel = (event: Event) => {
      event.preventDefault();
      done(false);
    };
    const onClose = () => done(false);
    ok.addEventListener("click", onOk);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    cancel.focus();
  });
}
