/** Bytes per second over the last few seconds. Example: `meter.add(65_536); meter.rate() // 52_400_000`. */
export class SpeedMeter {
  private total = 0;
  private readonly points: { t: number; total: number }[] = [{ t: Date.now(), total: 0 }];

  constructor(private readonly windowMs = 5000) {}

  add(bytes: number): void {
    this.total += bytes;
    const now = Date.now();
    const last = this.points[this.points.length - 1];
    if (!last || now - last.t >= 200) this.points.push({ t: now, total: this.total });
    while (this.points.length > 2 && now - (this.points[1]?.t ?? now) > this.windowMs) this.points.shift();
  }

  rate(): number {
    const first = this.points[0];
    if (!first) return 0;
    const elapsed = (Date.now() - first.t) / 1000;
    return elapsed > 0.05 ? (this.total - first.total) / elapsed : 0;
  }
}

/** Seconds for a person. Example: `formatDuration(75) // "1m15s"`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
