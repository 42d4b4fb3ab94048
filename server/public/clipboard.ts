/** Copying text for the person: the clipboard API, or the older copy command where that is blocked. */
import { h } from "./dom.js";

/** Copies `text`; answers whether it worked (focus goes back to `from`). */
export async function copyText(text: string, from?: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Blocked (an insecure origin, no permission): the fallback below.
  }
  const area = h("textarea", { attrs: { readonly: "", "aria-hidden": "true", class: "offscreen" } });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok: boolean;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  from?.focus();
  return ok;
}

/** Shows `message` in a status element for a moment. */
export function flash(element: HTMLElement, message: string): void {
  element.textContent = message;
  element.hidden = false;
  window.setTimeout(() => (element.hidden = true), 1800);
}
