/** The custom nodes list with Install all and Update all (only once ComfyUI itself is installed). */
import { getJson, messageOf, postJson } from "./api.js";
import { h, setText, showError, withBusy } from "./dom.js";
import { KeyedList } from "./keyed.js";
import type { AdminHooks } from "./admin-tools.js";
import type { CustomNode, ToolStatus } from "./types.js";

/** The tool whose custom nodes these are. */
export const CUSTOM_NODES_HOST = "comfy-ui";

export interface NodesElements {
  list: HTMLUListElement;
  summary: HTMLElement;
  install: HTMLButtonElement;
  update: HTMLButtonElement;
  error: HTMLElement;
  hostNote: HTMLElement;
}

export class CustomNodesView {
  private readonly rows: KeyedList<CustomNode, { root: HTMLLIElement; mark: HTMLSpanElement }>;
  private nodes: CustomNode[] = [];
  private host: ToolStatus | undefined;

  constructor(
    private readonly el: NodesElements,
    private readonly hooks: AdminHooks,
  ) {
    el.install.addEventListener("click", () => void this.run("install", el.install));
    el.update.addEventListener("click", () => void this.run("update", el.update));
    this.rows = new KeyedList(
      el.list,
      (node) => node.name,
      (node) => {
        const mark = h("span", { class: "node-mark" });
        const link = h("a", {
          text: node.name,
          attrs: { href: node.repo_url, target: "_blank", rel: "noopener noreferrer" },
        });
        return { root: h("li", { class: "node" }, link, mark), mark };
      },
      (row, node) => {
        setText(row.mark, node.installed ? "Installed" : "Not installed");
        row.mark.dataset.installed = String(node.installed);
      },
    );
  }

  async load(): Promise<void> {
    try {
      const { nodes } = await getJson<{ nodes: CustomNode[] }>("/custom_nodes");
      this.nodes = nodes;
      this.render();
      showError(this.el.error, null);
    } catch (error) {
      showError(this.el.error, `The custom nodes list could not be loaded: ${messageOf(error)}`);
    }
  }

  /** The host tool's status (from the tools poll): nodes can be installed only into an installed ComfyUI. */
  syncTools(tools: ToolStatus[]): void {
    const host = tools.find((tool) => tool.tool_id === CUSTOM_NODES_HOST);
    if (host?.installed === this.host?.installed && this.host) return;
    this.host = host;
    this.render();
  }

  private render(): void {
    const installed = this.nodes.filter((node) => node.installed).length;
    setText(
      this.el.summary,
      this.nodes.length === 0
        ? "No custom nodes are listed in setup/custom-nodes/nodes.txt."
        : `${installed} of ${this.nodes.length} installed`,
    );
    this.rows.render(this.nodes);
    const hostReady = this.host?.installed === true;
    this.el.install.disabled = this.nodes.length === 0 || !hostReady;
    this.el.update.disabled = installed === 0 || !hostReady;
    const name = this.host?.name ?? "ComfyUI";
    setText(this.el.hostNote, hostReady ? "" : `Install ${name} first: custom nodes go into its folder.`);
    this.el.hostNote.hidden = hostReady;
  }

  private async run(action: "install" | "update", button: HTMLButtonElement): Promise<void> {
    showError(this.el.error, null);
    try {
      await withBusy(button, action === "install" ? "Installing…" : "Updating…", async () => {
        const answer = await postJson<{ job_id: string }>("/custom_nodes_action", { action });
        this.hooks.follow(
          `job:${answer.job_id}`,
          `Job: ${action === "install" ? "Install" : "Update"} custom nodes`,
        );
      });
    } catch (error) {
      showError(this.el.error, `Custom nodes: ${messageOf(error)}`);
    }
    this.render();
    this.hooks.jobsChanged();
  }
}
