/** The image grid: a card per image with its thumbnail, size, delete button and an autosaving caption. */
import { imageUrl, postJson, type ImageItem } from "./api.js";
import { messageOf } from "./kit/web/api.js";
import { formatBytes } from "./kit/web/format.js";

const SAVE_DELAY_MS = 700;

/** One caption textarea: saves a moment after typing stops, and at once when focus leaves. */
class CaptionEditor {
  private timer: number | undefined;
  private saving: Promise<void> | null = null;
  private saved: string;
  private dirty = false;

  constructor(
    private readonly dataset: string,
    private readonly image: string,
    private readonly textarea: HTMLTextAreaElement,
    private readonly status: HTMLElement,
    private readonly onSaved: () => void,
  ) {
    this.saved = textarea.value;
    textarea.addEventListener("input", () => {
      this.dirty = true;
      this.show("Editing…");
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => void this.flush(), SAVE_DELAY_MS);
    });
    textarea.addEventListener("blur", () => void this.flush());
  }

  private show(message: string, error = false): void {
    this.status.textContent = message;
    this.status.classList.toggle("error", error);
    this.status.setAttribute("role", error ? "alert" : "status");
  }

  /** Saves the text now if it changed; resolves once it is on the server (or failed, shown by the card). */
  async flush(): Promise<void> {
    window.clearTimeout(this.timer);
    while (this.saving) await this.saving;
    const text = this.textarea.value;
    if (text === this.saved) {
      if (this.dirty) this.show("");
      this.dirty = false;
      return;
    }
    this.show("Saving…");
    this.saving = (async () => {
      try {
        await postJson(imageUrl(this.dataset, this.image, "/caption"), { caption: text });
        this.saved = text;
        if (this.textarea.value === text) {
          this.dirty = false;
          this.show("Saved");
        }
        this.onSaved();
      } catch (error) {
        this.show(`Not saved: ${messageOf(error)}`, true);
      }
    })();
    try {
      await this.saving;
    } finally {
      this.saving = null;
    }
  }

  /** Shows the caption from the server, unless the person is editing this one. */
  refresh(caption: string): void {
    if (this.dirty || document.activeElement === this.textarea || caption === this.saved) return;
    this.textarea.value = caption;
    this.saved = caption;
  }
}

interface Card {
  item: HTMLLIElement;
  editor: CaptionEditor;
  meta: HTMLElement;
  thumb: HTMLImageElement;
  modified: number;
}

export interface GridHandlers {
  onDelete(image: string): void;
  onSaved(): void;
}

let nextId = 0;

export class ImageGrid {
  private cards = new Map<string, Card>();
  private dataset: string | null = null;

  constructor(
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly template: HTMLTemplateElement,
    private readonly handlers: GridHandlers,
  ) {}

  /** Saves every caption with unsaved changes. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.cards.values()].map(async (card) => await card.editor.flush()));
  }

  clear(): void {
    this.cards.clear();
    this.list.replaceChildren();
    this.dataset = null;
  }

  /** Shows `images`, keeping the cards (and any caption being edited) that are still there. */
  render(dataset: string, images: readonly ImageItem[]): void {
    if (dataset !== this.dataset) this.clear();
    this.dataset = dataset;
    const wanted = new Set(images.map((image) => image.name));
    for (const [name, card] of this.cards) {
      if (!wanted.has(name)) {
        card.item.remove();
        this.cards.delete(name);
      }
    }
    images.forEach((image, index) => {
      let card = this.cards.get(image.name);
      if (!card) {
        card = this.createCard(dataset, image);
        this.cards.set(image.name, card);
      } else {
        card.editor.refresh(image.caption ?? "");
        if (card.modified !== image.modified_ms) {
          card.thumb.src = image.thumb_url;
          card.modified = image.modified_ms;
        }
      }
      card.meta.textContent = describe(image);
      const atIndex = this.list.children[index];
      if (atIndex !== card.item) this.list.insertBefore(card.item, atIndex ?? null);
    });
    this.empty.hidden = images.length > 0;
  }

  private createCard(dataset: string, image: ImageItem): Card {
    const fragment = this.template.content.cloneNode(true) as DocumentFragment;
    const item = fragment.querySelector("li") as HTMLLIElement;
    const link = item.querySelector(".thumb-link") as HTMLAnchorElement;
    const thumb = item.querySelector(".thumb") as HTMLImageElement;
    const name = item.querySelector(".image-name") as HTMLElement;
    const remove = item.querySelector(".image-delete") as HTMLButtonElement;
    const meta = item.querySelector(".image-meta") as HTMLElement;
    const label = item.querySelector(".caption-label") as HTMLLabelElement;
    const textarea = item.querySelector(".caption") as HTMLTextAreaElement;
    const status = item.querySelector(".caption-status") as HTMLElement;

    const id = `caption-${nextId++}`;
    item.dataset.image = image.name;
    link.href = image.url;
    link.setAttribute("aria-label", `Open ${image.name} full size`);
    thumb.src = image.thumb_url;
    name.textContent = image.name;
    remove.setAttribute("aria-label", `Delete ${image.name}`);
    remove.addEventListener("click", () => this.handlers.onDelete(image.name));
    label.htmlFor = id;
    label.textContent = `Caption for ${image.name}`;
    textarea.id = id;
    textarea.value = image.caption ?? "";
    textarea.placeholder = "No caption yet";
    status.id = `${id}-status`;
    textarea.setAttribute("aria-describedby", status.id);
    const editor = new CaptionEditor(dataset, image.name, textarea, status, () => this.handlers.onSaved());
    return { item, editor, meta, thumb, modified: image.modified_ms };
  }
}

function describe(image: ImageItem): string {
  const pixels = image.width && image.height ? `${image.width}×${image.height} px · ` : "";
  return `${pixels}${formatBytes(image.bytes)}`;
}
