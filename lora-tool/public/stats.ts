/**
 * The chosen dataset's statistics: images, captions, words and characters per caption, total size, and the
 * one-line summary under its title.
 *
 * ```ts
 * renderStats(detail.stats, detail.bytes);   // "12 images, 3 without a caption, 4.2 MB"
 * ```
 */
import type { CaptionStats } from "./api.js";
import { plural } from "./dom.js";
import { el } from "./elements.js";
import { formatBytes } from "./kit/web/format.js";

export function renderStats(stats: CaptionStats, bytes: number): void {
  const rows: [string, string][] = [
    ["Images", String(stats.images)],
    ["Captioned", String(stats.captioned)],
    ["Without caption", String(stats.missing)],
    [
      "Words (min / avg / max)",
      stats.words ? `${stats.words.min} / ${stats.words.avg} / ${stats.words.max}` : "–",
    ],
    [
      "Characters (min / avg / max)",
      stats.characters ? `${stats.characters.min} / ${stats.characters.avg} / ${stats.characters.max}` : "–",
    ],
    ["Total size", formatBytes(bytes)],
  ];
  el.stats.replaceChildren(
    ...rows.map(([term, value]) => {
      const row = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      row.append(dt, dd);
      return row;
    }),
  );
  el.summary.textContent = `${plural(stats.images, "image")}, ${stats.missing} without a caption, ${formatBytes(bytes)}`;
}
