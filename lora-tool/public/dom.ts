/** Small DOM helpers: typed element lookup, inline errors and statuses, busy buttons. */

export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`The page is missing #${id}.`);
  return element;
}

/** Shows `message` in an error element (hidden when null) and marks `field` invalid beside it. */
export function showError(element: HTMLElement, message: string | null, field?: HTMLElement): void {
  element.textContent = message ?? "";
  element.hidden = message === null;
  if (field) {
    if (message === null) field.removeAttribute("aria-invalid");
    else field.setAttribute("aria-invalid", "true");
  }
}

export function setStatus(element: HTMLElement, message: string, ok = false): void {
  element.textContent = message;
  element.classList.toggle("ok", ok);
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** Disables a form's submit button while `task` runs. */
export async function busy<T>(button: HTMLButtonElement, task: () => Promise<T>): Promise<T> {
  button.disabled = true;
  try {
    return await task();
  } finally {
    button.disabled = false;
  }
}

/** A form's submit button. */
export function submitButton(form: HTMLFormElement): HTMLButtonElement {
  return form.querySelector("button[type=submit]") as HTMLButtonElement;
}
