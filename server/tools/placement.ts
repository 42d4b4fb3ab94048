/**
 * Which instance of a tool an artist works in (ComfyUI with one instance per GPU): kept while it runs; a
 * newcomer starts a stopped instance of their own while GPUs are free, else joins the least used running
 * one. With one instance there is nothing to choose.
 */
import type { ToolSupervisor } from "./supervisor.js";

export class Placement {
  /** tool id -> artist -> instance index. */
  private readonly chosen = new Map<string, Map<string, number>>();

  private of(toolId: string): Map<string, number> {
    let map = this.chosen.get(toolId);
    if (!map) this.chosen.set(toolId, (map = new Map<string, number>()));
    return map;
  }

  /** The instance `artist` works in now, if it runs. */
  current(toolId: string, artist: string, instances: readonly ToolSupervisor[]): number | null {
    const index = this.of(toolId).get(artist);
    if (index !== undefined && instances[index]?.isActive) return index;
    const owned = instances.findIndex((instance) => instance.isActive && instance.record.owner === artist);
    return owned >= 0 ? owned : null;
  }

  /** Artists sent to instance `index` now. */
  artistsOf(toolId: string, index: number, instances: readonly ToolSupervisor[]): string[] {
    const out = new Set<string>();
    for (const [artist, at] of this.of(toolId))
      if (at === index && instances[index]?.isActive) out.add(artist);
    const owner = instances[index]?.isActive ? instances[index]?.record.owner : null;
    if (owner) out.add(owner);
    return [...out].sort((a, b) => a.localeCompare(b));
  }

  private leastUsedRunning(toolId: string, instances: readonly ToolSupervisor[]): number | null {
    let best: number | null = null;
    let bestCount = Infinity;
    instances.forEach((instance, index) => {
      if (!instance.isActive) return;
      const count = this.artistsOf(toolId, index, instances).length;
      if (count < bestCount) [best, bestCount] = [index, count];
    });
    return best;
  }

  /** For a start: the artist's own running instance, else a stopped one, else the least used running one. */
  forStart(toolId: string, artist: string, instances: readonly ToolSupervisor[]): number {
    const current = this.current(toolId, artist, instances);
    if (current !== null) return current;
    const stopped = instances.findIndex((instance) => !instance.isActive && instance.startProblem() === null);
    const index = stopped >= 0 ? stopped : (this.leastUsedRunning(toolId, instances) ?? 0);
    this.of(toolId).set(artist, index);
    return index;
  }

  /** For the gateway: the artist's instance, else the least used running one (then kept); null if none runs. */
  forRequest(toolId: string, artist: string | null, instances: readonly ToolSupervisor[]): number | null {
    if (instances.length === 1) return 0;
    if (artist) {
      const current = this.current(toolId, artist, instances);
      if (current !== null) return current;
    }
    const index = this.leastUsedRunning(toolId, instances);
    if (index !== null && artist) this.of(toolId).set(artist, index);
    return index;
  }
}
