/**
 * The gallery: one artist's outputs (one's own by default, anyone's to look at), newest first, kept live
 * by reading the first page again every second; more pages on request; open full size, download one or a
 * selection (a zip), delete one's own (anyone's in admin mode).
 */
import { getJson, messageOf, postForDownload, postJson, query } from "./api.js";
import { byId, h, setHidden, setText, showError } from "./dom.js";
import { bytes, clockTime, plural } from "./format.js";
import { baseName, comesBefore, thumbUrl, type GalleryItem, type GalleryPage } from "./gallery-types.js";
import { KeyedList } from "./keyed.js";
import { Poller } from "./poller.js";
import type { Me } from "./types.js";
import { Viewer } from "./viewer.js";

const PAGE = 60;
const POLL_MS = 1000;

export interface GalleryHooks {
  me: () => Me;
  confirm: (options: { title: string; body: string; confirm: string; danger?: boolean }) => Promise<boolean>;
  announce: (text: string) => void;
}

class Tile {
  readonly root: HTMLLIElement;
  private readonly img = h("img", {
    attrs: { alt: "", loading: "lazy", decoding: "async", width: "256", height: "256" },
  });
  private readonly open = h("button", { class: "tile-open", attrs: { type: "button" } }, this.img);
  readonly box = h("input", { attrs: { type: "checkbox" } });
  private readonly name = h("span", { class: "tile-name" });
  private readonly meta = h("span", { class: "tile-meta" });

  constructor(
    public item: GalleryItem,
    view: GalleryView,
  ) {
    const pick = h(
      "label",
      { class: "tile-pick" },
      this.box,
      h("span", { class: "visually-hidden", text: `Select ${item.path}` }),
    );
    this.root = h(
      "li",
      { class: "tile" },
      this.open,
      pick,
      h("div", { class: "tile-caption" }, this.name, this.meta),
    );
    this.open.addEventListener("click", () => view.show(this.item));
    this.box.addEventListener("change", () => view.select(this.item.path, this.box.checked));
  }

  update(item: GalleryItem, artist: string, selected: boolean): void {
    this.item = item;
    this.root.dataset.kind = item.kind;
    const src = thumbUrl(artist, item);
    if (this.img.getAttribute("src") !== src) this.img.src = src;
    this.open.setAttribute("aria-label", `Open ${item.path}${item.kind === "video" ? " (video)" : ""}`);
    setText(this.name, baseName(item));
    this.name.title = item.path;
    setText(this.meta, `${bytes(item.size)} · ${clockTime(item.modified_at)}`);
    this.box.checked = selected;
  }
}

export class GalleryView {
  private readonly artistSelect = byId("gallery-artist", HTMLSelectElement);
  private readonly count = byId("gallery-count", HTMLElement);
  private readonly empty = byId("gallery-empty", HTMLElement);
  private readonly error = byId("gallery-error", HTMLElement);
  private readonly more = byId("gallery-more", HTMLButtonElement);
  private readonly selectAll = byId("gallery-select-all", HTMLButtonElement);
  private readonly download = byId("gallery-download", HTMLButtonElement);
  private readonly remove = byId("gallery-delete", HTMLButtonElement);
  private readonly zip = byId("gallery-zip", HTMLAnchorElement);
  private readonly tiles: KeyedList<GalleryItem, Tile>;
  private readonly options: KeyedList<string, { root: HTMLOptionElement }>;
  private readonly viewer: Viewer;
  private readonly poller = new Poller(() => this.poll());
  private artist: string | null = null;
  /** Showing one's own gallery (it follows a change of name) rather than one picked from the list. */
  private own = true;
  private items: GalleryItem[] = [];
  private cursor: string | null = null;
  /** Whether more than the first page is shown (the poll then keeps what lies beyond it). */
  private extended = false;
  private readonly selected = new Set<string>();

  constructor(private readonly hooks: GalleryHooks) {
    this.tiles = new KeyedList(
      byId("gallery", HTMLUListElement),
      (item) => item.path,
      (item) => new Tile(item, this),
      (tile, item) => tile.update(item, this.artist ?? "", this.selected.has(item.path)),
    );
    this.options = new KeyedList(
      this.artistSelect,
      (name) => name,
      (name) => ({ root: h("option", { text: name, attrs: { value: name } }) }),
      () => undefined,
    );
    this.viewer = new Viewer({
      beside: (item, step) => this.items[this.items.findIndex((i) => i.path === item.path) + step],
      canDelete: () => this.mayDelete(),
      remove: (item) => this.delete([item.path]),
    });
    this.artistSelect.addEventListener("change", () => {
      this.own = this.artistSelect.value === this.hooks.me().artist;
      this.showArtist(this.artistSelect.value);
    });
    this.more.addEventListener("click", () => void this.loadMore());
    this.selectAll.addEventListener("click", () => this.toggleAll());
    this.download.addEventListener("click", () => void this.downloadSelected());
    this.remove.addEventListener("click", () => void this.delete([...this.selected]));
  }

  /** The artists whose galleries can be looked at. */
  setUsers(names: string[]): void {
    this.options.render(names);
    if (this.artist !== null && this.artistSelect.value !== this.artist)
      this.artistSelect.value = this.artist;
  }

  /** After a change of name: one's own gallery. */
  meChanged(): void {
    const me = this.hooks.me();
    if (me.artist === null) {
      this.artist = null;
      this.own = true;
      this.poller.stop();
      this.reset();
      setText(this.empty, "Pick your name to see your gallery.");
      this.renderAll();
      return;
    }
    if (this.own || this.artist === null) this.showArtist(me.artist);
    else this.renderAll();
  }

  private showArtist(name: string): void {
    if (name === this.artist && this.poller.isActive) return;
    this.artist = name;
    this.artistSelect.value = name;
    this.reset();
    this.renderAll();
    this.poller.stop();
    this.poller.start();
  }

  private reset(): void {
    this.items = [];
    this.cursor = null;
    this.extended = false;
    this.selected.clear();
  }

  private mayDelete(): boolean {
    const me = this.hooks.me();
    return me.artist !== null && (me.artist === this.artist || me.adminMode);
  }

  private async poll(): Promise<number> {
    const artist = this.artist;
    if (artist === null) return 60_000;
    let page: GalleryPage;
    try {
      page = await getJson<GalleryPage>(`/gallery?${query({ artist, limit: PAGE })}`);
    } catch (error) {
      showError(this.error, `The gallery could not be read: ${messageOf(error)}`);
      return 4000;
    }
    if (artist !== this.artist) return 0;
    showError(this.error, null);
    const oldest = page.items.at(-1);
    // The first page replaces what it covers; pages loaded beyond it stay.
    const beyond = this.extended && oldest ? this.items.filter((item) => comesBefore(oldest, item)) : [];
    if (!this.extended) this.cursor = page.next_cursor;
    const gone = this.items.filter(
      (item) => !page.items.some((i) => i.path === item.path) && !beyond.includes(item),
    );
    this.items = [...page.items, ...beyond];
    for (const item of gone) this.selected.delete(item.path);
    if (gone.length) this.viewer.forget(new Set(gone.map((item) => item.path)));
    this.renderAll();
    return POLL_MS;
  }

  private async loadMore(): Promise<void> {
    if (this.cursor === null || this.artist === null) return;
    this.more.disabled = true;
    try {
      const page = await getJson<GalleryPage>(
        `/gallery?${query({ artist: this.artist, cursor: this.cursor, limit: PAGE })}`,
      );
      const known = new Set(this.items.map((item) => item.path));
      this.items.push(...page.items.filter((item) => !known.has(item.path)));
      this.cursor = page.next_cursor;
      this.extended = true;
      this.renderAll();
    } catch (error) {
      showError(this.error, `More of the gallery could not be read: ${messageOf(error)}`);
    } finally {
      this.more.disabled = false;
    }
  }

  private renderAll(): void {
    const artist = this.artist;
    this.tiles.render(this.items);
    const own = artist !== null && artist === this.hooks.me().artist;
    setHidden(this.empty, this.items.length > 0 && artist !== null);
    if (artist !== null)
      setText(
        this.empty,
        own ? "Nothing here yet: what you make in ComfyUI shows up here." : `${artist} has nothing here yet.`,
      );
    setHidden(this.more, this.cursor === null);
    const shown = this.items.length;
    setText(
      this.count,
      artist === null
        ? ""
        : `${plural(shown, "file")}${this.cursor ? " shown" : ""}${this.selected.size ? ` · ${this.selected.size} selected` : ""}`,
    );
    this.download.disabled = this.selected.size === 0;
    this.remove.disabled = this.selected.size === 0;
    setHidden(this.remove, !this.mayDelete());
    this.selectAll.disabled = shown === 0;
    setText(this.selectAll, shown > 0 && this.selected.size === shown ? "Clear selection" : "Select all");
    setHidden(this.zip, artist === null || shown === 0);
    if (artist !== null) this.zip.href = `/gallery/zip?${query({ artist })}`;
  }

  show(item: GalleryItem): void {
    if (this.artist !== null) this.viewer.show(this.artist, item);
  }

  select(path: string, on: boolean): void {
    if (on) this.selected.add(path);
    else this.selected.delete(path);
    this.renderAll();
  }

  private toggleAll(): void {
    const all = this.selected.size === this.items.length;
    this.selected.clear();
    if (!all) for (const item of this.items) this.selected.add(item.path);
    this.renderAll();
  }

  private async downloadSelected(): Promise<void> {
    if (this.artist === null || this.selected.size === 0) return;
    showError(this.error, null);
    this.download.disabled = true;
    try {
      await postForDownload(
        "/gallery/zip",
        { artist: this.artist, paths: [...this.selected] },
        "selection.zip",
      );
    } catch (error) {
      showError(this.error, `The zip could not be made: ${messageOf(error)}`);
    } finally {
      this.renderAll();
    }
  }

  /** Deletes after asking; answers whether it did. */
  private async delete(paths: string[]): Promise<boolean> {
    const artist = this.artist;
    if (artist === null || paths.length === 0) return false;
    const what = paths.length === 1 ? `"${paths[0]}"` : plural(paths.length, "file");
    const ok = await this.hooks.confirm({
      title: `Delete ${what}?`,
      body: `${paths.length === 1 ? "It is" : "They are"} removed from ${artist === this.hooks.me().artist ? "your" : `${artist}'s`} output folder for good.`,
      confirm: "Delete",
      danger: true,
    });
    if (!ok) return false;
    try {
      await postJson("/gallery/delete", { artist, paths });
    } catch (error) {
      showError(this.error, `Nothing was deleted: ${messageOf(error)}`);
      return false;
    }
    const gone = new Set(paths);
    this.items = this.items.filter((item) => !gone.has(item.path));
    for (const path of paths) this.selected.delete(path);
    this.renderAll();
    this.hooks.announce(`Deleted ${what}.`);
    this.poller.now();
    return true;
  }
}
