/**
 * The sidebar's dataset list: a link per dataset (to its #hash) with its image and caption counts, the
 * chosen one marked as the current page.
 *
 * ```ts
 * const list = new DatasetList(() => current);
 * await list.refresh();    // GET /api/datasets, drawn again
 * list.markCurrent();      // after the chosen dataset changed
 * ```
 */
import { getJson, type DatasetSummary } from "./api.js";
import { plural, setStatus } from "./dom.js";
import { el } from "./elements.js";
import { messageOf } from "./kit/web/api.js";

export class DatasetList {
  constructor(private readonly current: () => string | null) {}

  render(datasets: readonly DatasetSummary[]): void {
    const items = datasets.map((dataset) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${encodeURIComponent(dataset.name)}`;
      link.dataset.dataset = dataset.name;
      if (dataset.name === this.current()) link.setAttribute("aria-current", "page");
      const name = document.createElement("span");
      name.className = "ds-name";
      name.textContent = dataset.name;
      const count = document.createElement("span");
      count.className = "ds-count";
      count.textContent = `${plural(dataset.images, "image")} · ${dataset.captioned} captioned`;
      link.append(name, count);
      item.append(link);
      return item;
    });
    el.list.replaceChildren(...items);
    el.noDatasets.hidden = datasets.length > 0;
  }

  async refresh(): Promise<void> {
    try {
      this.render((await getJson<{ datasets: DatasetSummary[] }>("/api/datasets")).datasets);
    } catch (error) {
      setStatus(el.sidebarStatus, `The dataset list did not load: ${messageOf(error)}`);
    }
  }

  markCurrent(): void {
    const current = this.current();
    for (const link of el.list.querySelectorAll<HTMLAnchorElement>("a[data-dataset]")) {
      if (link.dataset.dataset === current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
}
