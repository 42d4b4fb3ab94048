/** Small DOM helpers. Data only ever reaches the page as text (textContent, attributes), never as HTML. */

export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`The page is missing #${id}.`);
  return element;
}

export function maybeId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T | null {
  const element = document.getElementById(id);
  return element instanceof type ? element : null;
}

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
}

/** `h("button", { class: "btn", text: "Start", attrs: { type: "button" } })` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/** Sets text only when it changed (keeps polling from touching the DOM needlessly). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export function setHidden(element: HTMLElement, hidden: boolean): void {
  if (element.hidden !== hidden) element.hidden = hidden;
}

export function setAttr(element: Element, name: string, value: string | null): void {
  if (value === null) {
    if (element.hasAttribute(name)) element.removeAttribute(name);
  } else if (element.getAttribute(name) !== value) {
    element.setAttribute(name, value);
  }
}

/** Shows `message` in an inline error element (hidden when null). */
export function showError(element: HTMLElement, message: string | null): void {
  setText(element, message ?? "");
  setHidden(element, message === null);
}

/** An inline error paragraph, announced politely by screen readers. */
export function errorLine(id?: string): HTMLParagraphElement {
  const p = h("p", { class: "field-error", attrs: { "aria-live": "polite" } });
  if (id) p.id = id;
  p.hidden = true;
  return p;
}

/** Runs `task` with `button` disabled and, when given, showing `busyLabel`. */
export async function withBusy<T>(
  button: HTMLButtonElement,
  busyLabel: string | null,
  task: () => Promise<T>,
): Promise<T> {
  const label = button.textContent ?? "";
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (busyLabel) button.textContent = busyLabel;
  try {
    return await task();
  } finally {
    button.removeAttribute("aria-busy");
    if (busyLabel) button.textContent = label;
    button.disabled = false;
  }
}
