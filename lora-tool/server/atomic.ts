/** Whole-file writes (the studio's atomic writer) and timestamps for folder names. */
export { writeFileAtomic } from "../../server/state/atomic.js";

/** A sortable timestamp for folder names: `20250131-142501-123`. */
export function stamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace("T", "-")
    .replace(/\.(\d+)Z$/, "-$1");
}
