/**
 * What `GET /models` reports for a model set: how many of its files are complete on disk, and the bytes
 * known for it.
 *
 * ```ts
 * const { sets } = await loadModelSets(manifestDir, workspaceDir);
 * const statuses = await setsStatus(sets, { stateDir });
 * // [{ id: "flux1-dev", name: "Flux.1 dev (fp8 checkpoint)", installed: 1, total: 1, bytes: 17246524772 }]
 * ```
 */
import type { ModelSetStatus } from "../api.js";
import { promises as fs } from "node:fs";
import type { ModelFile, ModelSet } from "./manifest.js";
import { readSizeCache } from "./sizeCache.js";

/**
 * A set's status (see ModelSetStatus): `installed` counts files complete on disk (DEST exists, a `.part`
 * does not count, and its size matches when known); `bytes` sums the sizes known (size cache, else disk).
 */
export type SetStatus = ModelSetStatus;

export interface StatusOptions {
  /** The studio's state folder; the size cache lives in `{stateDir}/models/sizes.json`. */
  stateDir: string;
  /** Sizes already read with `readSizeCache` (saves reading the file once per set). */
  sizes?: Record<string, number>;
}

/**
 * The state of one file on disk: whether it is complete, and its size when known.
 *
 * ```ts
 * const { complete, bytes } = await fileStatus(set.files[0], await readSizeCache(stateDir));
 * ```
 */
export async function fileStatus(
  file: Pick<ModelFile, "url" | "dest">,
  sizes: Record<string, number>,
): Promise<{ complete: boolean; bytes: number | undefined }> {
  const known = sizes[file.url];
  let onDisk: number | undefined;
  try {
    const stat = await fs.stat(file.dest);
    if (stat.isFile()) onDisk = stat.size;
  } catch {
    onDisk = undefined;
  }
  const complete = onDisk !== undefined && (known === undefined || known === onDisk);
  return { complete, bytes: known ?? (complete ? onDisk : undefined) };
}

/**
 * The status of one set.
 *
 * ```ts
 * const status = await setStatus(set, { stateDir: "/workspace/.comfystudio" });
 * console.log(`${status.installed}/${status.total} files, ${status.bytes} bytes`);
 * ```
 */
export async function setStatus(set: ModelSet, opts: StatusOptions): Promise<SetStatus> {
  const sizes = opts.sizes ?? (await readSizeCache(opts.stateDir));
  const states = await Promise.all(set.files.map((file) => fileStatus(file, sizes)));
  return {
    id: set.id,
    name: set.name,
    installed: states.filter((s) => s.complete).length,
    total: set.files.length,
    bytes: states.reduce((sum, s) => sum + (s.bytes ?? 0), 0),
  };
}

/**
 * The status of several sets, reading the size cache once.
 *
 * ```ts
 * res.json({ success: true, sets: await setsStatus(sets, { stateDir }) });
 * ```
 */
export async function setsStatus(sets: ModelSet[], opts: StatusOptions): Promise<SetStatus[]> {
  const sizes = opts.sizes ?? (await readSizeCache(opts.stateDir));
  return await Promise.all(sets.map((set) => setStatus(set, { ...opts, sizes })));
}
