/**
 * GPUs and disks (`GET /system`): a compact panel, read every 2 s while it is open, and a warning on the
 * page when the volume (the first disk) is over 90 % full, checked every 30 s while it is closed.
 */
import { ApiError, getJson, messageOf } from "./api.js";
import { byId, h, setHidden, setText, showError } from "./dom.js";
import { bytes, percent, plural } from "./format.js";
import { KeyedList } from "./keyed.js";
import { Poller } from "./poller.js";

export interface Gpu {
  index: number;
  name: string;
  memory_total_mb: number;
  memory_used_mb: number;
  utilization_pct: number;
  processes: { pid: number; used_mb: number; tool_id: string | null }[];
}

export interface Disk {
  path: string;
  total_bytes: number;
  free_bytes: number;
}

/** A volume fuller than this is warned of. */
export const DISK_WARNING = 0.9;
const MB = 1_000_000;

interface Row {
  root: HTMLLIElement;
  title: HTMLElement;
  bar: HTMLProgressElement;
  facts: HTMLElement;
}

function row(label: string): Row {
  const title = h("strong");
  const bar = h("progress", { attrs: { max: "1", "aria-label": label } });
  const facts = h("span", { class: "muted small" });
  return { root: h("li", {}, h("div", { class: "usage-head" }, title, facts), bar), title, bar, facts };
}

export class SystemPanel {
  private readonly panel = byId("system-panel", HTMLDetailsElement);
  private readonly summary = byId("system-summary", HTMLElement);
  private readonly error = byId("system-error", HTMLElement);
  private readonly gpusEmpty = byId("gpus-empty", HTMLElement);
  private readonly warning = byId("disk-warning", HTMLElement);
  private readonly gpus: KeyedList<Gpu, Row>;
  private readonly disks: KeyedList<Disk, Row>;
  private readonly poller = new Poller(() => this.read());

  constructor(private readonly toolName: (id: string) => string) {
    this.gpus = new KeyedList(
      byId("gpus", HTMLUListElement),
      (gpu) => String(gpu.index),
      (gpu) => row(`Memory used on GPU ${gpu.index}`),
      (view, gpu) => this.showGpu(view, gpu),
    );
    this.disks = new KeyedList(
      byId("disks", HTMLUListElement),
      (disk) => disk.path,
      (disk) => row(`Space used on ${disk.path}`),
      (view, disk) => {
        const used = disk.total_bytes - disk.free_bytes;
        setText(view.title, disk.path);
        setText(
          view.facts,
          `${bytes(disk.free_bytes)} free of ${bytes(disk.total_bytes)} · ${percent(used, disk.total_bytes)} used`,
        );
        view.bar.value = disk.total_bytes > 0 ? used / disk.total_bytes : 0;
        view.root.classList.toggle("full", disk.total_bytes > 0 && used / disk.total_bytes > DISK_WARNING);
      },
    );
    this.panel.addEventListener("toggle", () => this.poller.now());
  }

  start(): void {
    this.poller.start();
  }

  private showGpu(view: Row, gpu: Gpu): void {
    setText(view.title, `GPU ${gpu.index} · ${gpu.name}`);
    const users = gpu.processes.map(
      (p) => `${p.tool_id ? this.toolName(p.tool_id) : `pid ${p.pid}`} ${bytes(p.used_mb * MB)}`,
    );
    setText(
      view.facts,
      [
        `${bytes(gpu.memory_used_mb * MB)} of ${bytes(gpu.memory_total_mb * MB)}`,
        `${gpu.utilization_pct} % busy`,
        ...users,
      ].join(" · "),
    );
    view.bar.value = gpu.memory_total_mb > 0 ? gpu.memory_used_mb / gpu.memory_total_mb : 0;
  }

  private async read(): Promise<number> {
    let answer: { gpus: Gpu[]; disks: Disk[] };
    try {
      answer = await getJson<{ gpus: Gpu[]; disks: Disk[] }>("/system");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.poller.stop();
        return 0;
      }
      showError(this.error, `GPUs and disks could not be read: ${messageOf(error)}`);
      return 10_000;
    }
    showError(this.error, null);
    this.gpus.render(answer.gpus);
    this.disks.render(answer.disks);
    setHidden(this.gpusEmpty, answer.gpus.length > 0);
    const volume = answer.disks[0];
    const used = volume ? volume.total_bytes - volume.free_bytes : 0;
    const full = volume !== undefined && volume.total_bytes > 0 && used / volume.total_bytes > DISK_WARNING;
    setText(
      this.summary,
      [
        answer.gpus.length ? plural(answer.gpus.length, "GPU") : "no GPU",
        volume ? `volume ${percent(used, volume.total_bytes)} full` : "",
      ]
        .filter(Boolean)
        .join(" · "),
    );
    setText(
      this.warning,
      full
        ? `The volume ${volume.path} is ${percent(used, volume.total_bytes)} full (${bytes(volume.free_bytes)} free): downloads, installs and renders may fail. Free some space: the old copies reinstalls kept (Admin, Old copies), unused models, old renders.`
        : "",
    );
    setHidden(this.warning, !full);
    return this.panel.open ? 2000 : 30_000;
  }
}
