/**
 * Which instance of a tool an artist works in (ComfyUI with one instance per GPU): kept while it runs; a
 * newcomer starts a stopped instance of their own while GPUs are free, else joins the least used running
 * one. A tool may set a rule an instance must pass to take an artist (ComfyUI: it knows the artist's
 * ComfyUI user); while a running instance passes it, none that fails it is chosen, however less used.
 * With one instance there is nothing to choose.
 */
import type { ToolSupervisor } from "./supervisor.js";

/** Whether instance `index` may take `artist`. */
export type PlacementRule = (artist: string, index: number, instance: ToolSupervisor) => boolean;

export class Placement {
  /** tool id -> artist -> instance index. */
  private readonly chosen = new Map<string, Map<string, number>>();
  private readonly rules = new Map<string, PlacementRule>();

  private of(toolId: string): Map<string, number> {
    let map = this.chosen.get(toolId);
    if (!map) this.chosen.set(toolId, (map = new Map<string, number>()));
    return map;
  }

  /** Sets the rule of `toolId`'s instances. */
  setRule(toolId: string, rule: PlacementRule): void {
    this.rules.set(toolId, rule);
  }

  /** Whether instance `index` runs and may take `artist`. */
  private fits(toolId: string, artist: string, index: number, instances: readonly ToolSupervisor[]): boolean {
    const instance = instances[index];
    if (!instance?.isActive) return false;
    const rule = this.rules.get(toolId);
    return !rule || instances.length === 1 || rule(artist, index, instance);
  }

  /** The instance `artist` works in now, if it runs (and may take them). */
  current(toolId: string, artist: string, instances: readonly ToolSupervisor[]): number | null {
    const index = this.of(toolId).get(artist);
    if (index !== undefined && this.fits(toolId, artist, index, instances)) return index;
    const owned = instances.findIndex(
      (instance, at) => instance.record.owner === artist && this.fits(toolId, artist, at, instances),
    );
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

  /** The running instance with the fewest artists (of those that may take `artist`, when given). */
  private leastUsedRunning(
    toolId: string,
    instances: readonly ToolSupervisor[],
    artist: string | null,
  ): number | null {
    let best: number | null = null;
    let bestCount = Infinity;
    instances.forEach((instance, index) => {
      if (!instance.isActive || (artist !== null && !this.fits(toolId, artist, index, instances))) return;
      const count = this.artistsOf(toolId, index, instances).length;
      if (count < bestCount) [best, bestCount] = [index, count];
    });
    return best;
  }

  /**
   * For a start: the artist's own running instance, else a stopped one, else the least used running one
   * that may take them, else the least used running one (not kept as theirs).
   */
  forStart(toolId: string, artist: string, instances: readonly ToolSupervisor[]): number {
    const current = this.current(toolId, artist, instances);
    if (current !== null) return current;
    const stopped = instances.findIndex((instance) => !instance.isActive && instance.startProblem() === null);
    const index = stopped >= 0 ? stopped : this.leastUsedRunning(toolId, instances, artist);
    if (index !== null) {
      this.of(toolId).set(artist, index);
      return index;
    }
    return this.leastUsedRunning(toolId, instances, null) ?? 0;
  }

  /**
   * For the gateway: the artist's instance, else the least used running one that may take them (then
   * kept), else the least used running one (not kept: the caller sees that it may not take them); null if
   * none runs.
   */
  forRequest(toolId: string, artist: string | null, instances: readonly ToolSupervisor[]): number | null {
    if (instances.length === 1) return 0;
    if (artist) {
      const current = this.current(toolId, artist, instances);
      if (current !== null) return current;
      const index = this.leastUsedRunning(toolId, instances, artist);
      if (index !== null) {
        this.of(toolId).set(artist, index);
        return index;
      }
    }
    return this.leastUsedRunning(toolId, instances, null);
  }
}
