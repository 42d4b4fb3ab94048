/**
 * What the page's parts ask of the page (lora-tool/public/app.ts): the chosen dataset, and the few things
 * that change it or show it again. Types only: nothing is loaded for it in the browser.
 *
 * ```ts
 * export function bindThing(page: Page): void {
 *   button.addEventListener("click", () => void page.reload(page.current() ?? ""));
 * }
 * ```
 */
export interface Page {
  /** The dataset shown now (from the URL's #hash), or null. */
  current(): string | null;
  /** Saves captions still being typed. */
  flush(): Promise<void>;
  /** Loads the dataset's images, captions and statistics into the page again. */
  reload(name: string): Promise<unknown>;
  /** Loads the dataset list again. */
  refreshList(): Promise<void>;
  /** Shows dataset `name` (null: none) by changing the URL's #hash. */
  go(name: string | null): void;
}
