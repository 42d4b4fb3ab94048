/**
 * The artist's API key, for scripts and plugins that reach a tool without a browser: shown with a copy
 * button and, per tool, the base URL that carries it (`{tool url}/k/{key}`); "Replace key" makes a new one.
 */
import { getJson, messageOf, postJson } from "./api.js";
import { copyText, flash } from "./clipboard.js";
import { byId, h, setHidden, setText, showError, withBusy } from "./dom.js";
import { KeyedList } from "./keyed.js";
import type { Me, ToolStatus } from "./types.js";

export interface KeyHooks {
  me: () => Me;
  tools: () => ToolStatus[];
  confirm: (options: { title: string; body: string; confirm: string; danger?: boolean }) => Promise<boolean>;
}

interface UrlLine {
  tool: ToolStatus;
  url: string;
}

export class KeyPanel {
  private readonly panel = byId("key-panel", HTMLDetailsElement);
  private readonly hint = byId("key-hint", HTMLElement);
  private readonly body = byId("key-body", HTMLElement);
  private readonly input = byId("api-key", HTMLInputElement);
  private readonly copied = byId("key-copied", HTMLElement);
  private readonly error = byId("key-error", HTMLElement);
  private readonly rotate = byId("api-key-rotate", HTMLButtonElement);
  private readonly urls: KeyedList<
    UrlLine,
    { root: HTMLLIElement; code: HTMLElement; copy: HTMLButtonElement }
  >;
  private key: string | null = null;
  private keyOf: string | null = null;

  constructor(private readonly hooks: KeyHooks) {
    this.urls = new KeyedList(
      byId("key-urls", HTMLUListElement),
      (line) => line.tool.tool_id,
      (line) => {
        const code = h("code", { class: "key-url" });
        const copy = h("button", {
          class: "btn ghost small",
          text: "Copy",
          attrs: { type: "button", "aria-label": `Copy the ${line.tool.name} address` },
        });
        copy.addEventListener("click", () => void this.copy(code.textContent ?? "", copy));
        return {
          root: h("li", {}, h("span", { class: "key-tool", text: line.tool.name }), code, copy),
          code,
          copy,
        };
      },
      (row, line) => setText(row.code, line.url),
    );
    this.panel.addEventListener("toggle", () => void this.refresh());
    byId("api-key-copy", HTMLButtonElement).addEventListener(
      "click",
      (event) => void this.copy(this.input.value, event.currentTarget as HTMLButtonElement),
    );
    this.rotate.addEventListener("click", () => void this.replace());
  }

  /** Reads the key when the panel is open (again after a change of name). */
  async refresh(): Promise<void> {
    const me = this.hooks.me();
    setHidden(this.hint, me.artist !== null);
    if (me.artist === null || this.keyOf !== me.artist) {
      this.key = null;
      this.keyOf = null;
      setHidden(this.body, true);
    }
    if (!this.panel.open || me.artist === null) return;
    if (this.key === null) {
      try {
        const answer = await getJson<{ key: string; artist: string }>("/api_key");
        this.show(answer.key, answer.artist);
      } catch (error) {
        showError(this.error, `Your key could not be read: ${messageOf(error)}`);
        return;
      }
    }
    this.renderUrls();
  }

  private show(key: string, artist: string): void {
    this.key = key;
    this.keyOf = artist;
    this.input.value = key;
    showError(this.error, null);
    setHidden(this.body, false);
    this.renderUrls();
  }

  /** Tool addresses follow the tools poll (a URL may change with the page's host). */
  renderUrls(): void {
    const key = this.key;
    if (key === null) return;
    this.urls.render(
      this.hooks.tools().map((tool) => ({ tool, url: `${tool.url.replace(/\/$/, "")}/k/${key}` })),
    );
  }

  private async copy(text: string, from: HTMLElement): Promise<void> {
    if (await copyText(text, from)) flash(this.copied, "Copied.");
    else showError(this.error, "Copying was blocked by the browser: select the text and copy it by hand.");
  }

  private async replace(): Promise<void> {
    const ok = await this.hooks.confirm({
      title: "Replace your API key?",
      body: "Scripts and plugins that use the old key stop working until they get the new one.",
      confirm: "Replace key",
      danger: true,
    });
    if (!ok) return;
    try {
      const answer = await withBusy(this.rotate, "Replacing…", () =>
        postJson<{ key: string; artist: string }>("/api_key", { rotate: true }),
      );
      this.show(answer.key, answer.artist);
      flash(this.copied, "A new key is in place.");
    } catch (error) {
      showError(this.error, `The key could not be replaced: ${messageOf(error)}`);
    }
  }
}
