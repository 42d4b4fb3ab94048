/**
 * Sizes and speeds for people, in one convention for the whole studio: decimal units (1 kB = 1000 B, as disks
 * and Hugging Face count), one digit after the point, whole bytes below 1 kB.
 *
 * ```ts
 * formatBytes(17_246_524_772); // "17.2 GB"
 * formatBytes(3_400_000);      // "3.4 MB"
 * formatBytes(512);            // "512 B"
 * formatRate(52_400_000);      // "52.4 MB/s"
 * ```
 */

const UNITS = ["kB", "MB", "GB", "TB", "PB"] as const;

/** Bytes in the largest unit that keeps the figure at 1 or more. Not a number or negative gives "0 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes / 1000;
  let unit = 0;
  // 999.95 kB would print as "1000.0 kB": move up a unit before rounding does.
  while (value >= 999.95 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Bytes per second. Example: `formatRate(1_648_000_000) // "1.6 GB/s"`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}
