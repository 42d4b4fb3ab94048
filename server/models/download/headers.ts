/** The answer headers the downloader reads: Content-Range, Content-Length, Accept-Ranges. */

/**
 * A `Content-Range` value. Example: `parseContentRange("bytes 0-99/1000") // { start: 0, end: 99, total: 1000 }`;
 * `bytes *\/1000` gives `{ start: -1, total: 1000 }`; anything else null.
 */
export function parseContentRange(
  value: string | undefined,
): { start: number; end?: number; total?: number } | null {
  if (!value) return null;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (!m) return null;
  const total = m[3] === "*" || m[3] === undefined ? undefined : Number(m[3]);
  if (m[1] === undefined) return { start: -1, total };
  return { start: Number(m[1]), end: Number(m[2]), total };
}

/** A `Content-Length` value as a safe integer, else undefined. Example: `contentLength("1234") // 1234`. */
export function contentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** What `Accept-Ranges` says: true for `bytes`, false for `none`, else unknown. */
export function acceptsRanges(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  return v === "bytes" ? true : v === "none" ? false : undefined;
}
