/**
 * Who uses which tool. Two things are noted per tool:
 * - presence: every request of an artist (an open tab polling counts): `activeArtists`, for the page;
 * - activity: what a person or a script does (a page load, a change, a WebSocket message, a script's
 *   request), and /keep_alive: `lastAt`, for idle stops. An open tab alone is not activity.
 *
 * ```ts
 * activity.seen("comfy-ui", "Rosa", true);
 * activity.activeArtists("comfy-ui");   // ["Rosa"] for 5 minutes
 * ```
 */

/** An artist counts as in a tool for this long after their last request. */
export const ACTIVE_WINDOW_MS = 5 * 60_000;
/** Notes closer together than this update nothing but memory (the record is saved at most this often). */
const PERSIST_EVERY_MS = 1_000;

export class Activity {
  private readonly last = new Map<string, number>();
  private readonly artists = new Map<string, Map<string, number>>();
  private readonly persisted = new Map<string, number>();
  /** The last use of the studio's own page or API by an artist (for the pod's idle stop). */
  studioLast = Date.now();

  constructor(private readonly onPersist: (toolId: string, at: string) => void = () => undefined) {}

  /** Sets what a restart remembers (from state.json), so no tool gets a fresh idle period. */
  restore(toolId: string, at: string | null): void {
    const time = at ? Date.parse(at) : NaN;
    if (Number.isFinite(time)) this.last.set(toolId, Math.max(time, this.last.get(toolId) ?? 0));
  }

  /** A request of `artist` (null: none) to a tool; `active` when it is activity, not only presence. */
  seen(toolId: string, artist: string | null, active: boolean, now = Date.now()): void {
    if (artist) {
      let seen = this.artists.get(toolId);
      if (!seen) this.artists.set(toolId, (seen = new Map<string, number>()));
      seen.set(artist, now);
    }
    if (active) this.note(toolId, now);
  }

  /** Activity on a tool (also /keep_alive and a start). */
  note(toolId: string, now = Date.now()): void {
    this.last.set(toolId, now);
    if (now - (this.persisted.get(toolId) ?? 0) >= PERSIST_EVERY_MS) {
      this.persisted.set(toolId, now);
      this.onPersist(toolId, new Date(now).toISOString());
    }
  }

  /** Writes every tool's last activity into its record now (at shutdown). */
  persistAll(): void {
    for (const [toolId, at] of this.last) this.onPersist(toolId, new Date(at).toISOString());
  }

  noteStudio(now = Date.now()): void {
    this.studioLast = now;
  }

  /** Ms since epoch of the last activity, or null. */
  lastAt(toolId: string): number | null {
    return this.last.get(toolId) ?? null;
  }

  lastActivityAt(toolId: string): string | null {
    const at = this.lastAt(toolId);
    return at === null ? null : new Date(at).toISOString();
  }

  activeArtists(toolId: string, now = Date.now()): string[] {
    const seen = this.artists.get(toolId);
    if (!seen) return [];
    const active: string[] = [];
    for (const [artist, at] of seen) {
      if (now - at <= ACTIVE_WINDOW_MS) active.push(artist);
      else seen.delete(artist);
    }
    return active.sort((a, b) => a.localeCompare(b));
  }
}
