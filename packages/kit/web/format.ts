/**
 * Sizes for people, one way everywhere (pages, logs, messages): decimal units, three significant digits.
 * No Node imports: pages load it as `/static/kit/web/format.js`.
 *
 * ```ts
 * formatBytes(512);            // "512 B"
 * formatBytes(3_400_000);      // "3.40 MB"
 * formatBytes(17_246_524_772); // "17.2 GB"
 * ```
 */
const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

export function formatBytes(count: number): string {
  if (!Number.isFinite(count) || count <= 0) return "0 B";
  if (count < 1000) return `${Math.round(count)} B`;
  let value = count;
  let unit = 0;
  // Three significant digits; 999.6 kB rounds up into the next unit ("1.00 MB", not "1000 kB").
  while (Number(value.toPrecision(3)) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const rounded = Number(value.toPrecision(3));
  const digits = rounded >= 100 ? 0 : rounded >= 10 ? 1 : 2;
  return `${rounded.toFixed(digits)} ${UNITS[unit]}`;
}
