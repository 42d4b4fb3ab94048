/** A gallery file at full size in a dialog: a picture, a playing video, or a download for anything else. */
import { byId, h, setHidden, setText } from "./dom.js";
import { bytes, clockTime } from "./format.js";
import { baseName, fileUrl, type GalleryItem } from "./gallery-types.js";

export interface ViewerHooks {
  /** The item beside `item` in the gallery (`step` -1 or 1), or undefined at an end. */
  beside: (item: GalleryItem, step: -1 | 1) => GalleryItem | undefined;
  canDelete: () => boolean;
  remove: (item: GalleryItem) => Promise<boolean>;
}

export class Viewer {
  private readonly dialog = byId("viewer", HTMLDialogElement);
  private readonly title = byId("viewer-title", HTMLElement);
  private readonly meta = byId("viewer-meta", HTMLElement);
  private readonly stage = byId("viewer-stage", HTMLElement);
  private readonly prev = byId("viewer-prev", HTMLButtonElement);
  private readonly next = byId("viewer-next", HTMLButtonElement);
  private readonly download = byId("viewer-download", HTMLAnchorElement);
  private readonly remove = byId("viewer-delete", HTMLButtonElement);
  private item: GalleryItem | null = null;
  private artist = "";
  private opener: HTMLElement | null = null;

  constructor(private readonly hooks: ViewerHooks) {
    byId("viewer-close", HTMLButtonElement).addEventListener("click", () => this.dialog.close());
    this.prev.addEventListener("click", () => this.step(-1));
    this.next.addEventListener("click", () => this.step(1));
    this.remove.addEventListener("click", () => void this.doRemove());
    this.dialog.addEventListener("keydown", (event) => {
      if (event.target instanceof HTMLVideoElement) return;
      if (event.key === "ArrowLeft") this.step(-1);
      if (event.key === "ArrowRight") this.step(1);
    });
    this.dialog.addEventListener("close", () => {
      this.stage.replaceChildren();
      this.item = null;
      this.opener?.focus();
    });
  }

  get isOpen(): boolean {
    return this.dialog.open;
  }

  show(artist: string, item: GalleryItem): void {
    this.artist = artist;
    this.item = item;
    if (!this.dialog.open) {
      this.opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      this.dialog.showModal();
    }
    const name = baseName(item);
    setText(this.title, name);
    const size = item.width && item.height ? ` · ${item.width} × ${item.height}` : "";
    setText(this.meta, `${item.path} · ${bytes(item.size)}${size} · ${clockTime(item.modified_at)}`);
    const src = fileUrl(artist, item);
    const media =
      item.kind === "image"
        ? h("img", { attrs: { src, alt: name } })
        : item.kind === "video"
          ? h("video", { attrs: { src, controls: "", autoplay: "", "aria-label": name } })
          : h("p", { class: "muted", text: "This file cannot be shown here; download it to open it." });
    this.stage.replaceChildren(media);
    this.download.href = fileUrl(artist, item, true);
    this.download.setAttribute("aria-label", `Download ${name}`);
    setHidden(this.remove, !this.hooks.canDelete());
    this.prev.disabled = !this.hooks.beside(item, -1);
    this.next.disabled = !this.hooks.beside(item, 1);
    this.download.focus();
  }

  /** Closes the view when its file is gone (deleted elsewhere). */
  forget(paths: Set<string>): void {
    if (this.item && paths.has(this.item.path)) this.dialog.close();
  }

  private step(step: -1 | 1): void {
    const target = this.item && this.hooks.beside(this.item, step);
    if (target) this.show(this.artist, target);
  }

  private async doRemove(): Promise<void> {
    const item = this.item;
    if (!item) return;
    const after = this.hooks.beside(item, 1) ?? this.hooks.beside(item, -1);
    if (!(await this.hooks.remove(item))) return;
    if (after) this.show(this.artist, after);
    else this.dialog.close();
  }
}
