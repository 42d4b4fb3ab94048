/**
 * Dataset folders under `$WORKSPACE_DIR/datasets/{name}`: list, create, rename, and move to the trash
 * (`datasets/.trash/{name}-{timestamp}`) instead of erasing.
 */
import { lstat, mkdir, readdir, rename } from "node:fs/promises";
import path from "node:path";
import type { DatasetSummary } from "../api.js";
import { conflict, notFound } from "@comfystudio/kit/errors";
import { listImages } from "./images.js";
import { captionNameFor, checkName } from "./names.js";
import { childPath } from "@comfystudio/kit/paths";

/** A sortable timestamp for trash folder names: `20250131-142501-123`. */
export function stamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace("T", "-")
    .replace(/\.(\d+)Z$/, "-$1");
}

async function isDirectory(target: string): Promise<boolean> {
  try {
    return (await lstat(target)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(target: string): Promise<boolean> {
  try {
    await lstat(target);
    return true;
  } catch {
    return false;
  }
}

export class DatasetStore {
  readonly trashRoot: string;
  /** Multer writes uploads here first: same file system as the datasets, so a rename moves them. */
  readonly uploadTemp: string;

  constructor(readonly root: string) {
    this.trashRoot = path.join(root, ".trash");
    this.uploadTemp = path.join(root, ".uploads");
  }

  async ensureRoot(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await mkdir(this.uploadTemp, { recursive: true });
  }

  /** The folder of a dataset (validated name; it may not exist yet). */
  pathOf(name: unknown): string {
    return childPath(this.root, checkName(name, "dataset"));
  }

  /** The folder of an existing dataset, or a 404. */
  async require(name: unknown): Promise<string> {
    const dir = this.pathOf(name);
    if (!(await isDirectory(dir))) throw notFound(`There is no dataset named "${String(name)}".`);
    return dir;
  }

  async list(): Promise<DatasetSummary[]> {
    await this.ensureRoot();
    const entries = await readdir(this.root, { withFileTypes: true });
    const names = entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
    return await Promise.all(names.map(async (name) => await this.summary(name)));
  }

  async summary(name: string): Promise<DatasetSummary> {
    const images = await listImages(await this.require(name), { dimensions: false });
    return {
      name,
      images: images.length,
      captioned: images.filter((image) => image.caption !== null && image.caption.trim() !== "").length,
      bytes: images.reduce((sum, image) => sum + image.bytes, 0),
    };
  }

  async create(name: unknown): Promise<string> {
    const dir = this.pathOf(name);
    await this.ensureRoot();
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") {
        throw conflict(`A dataset named "${String(name)}" already exists.`);
      }
      throw error;
    }
    return dir;
  }

  async rename(from: unknown, to: unknown): Promise<void> {
    const source = await this.require(from);
    const target = this.pathOf(to);
    if (source === target) return;
    // Case-only renames on case-insensitive file systems resolve to the same folder; anything else is taken.
    if ((await exists(target)) && String(from).toLowerCase() !== String(to).toLowerCase()) {
      throw conflict(`A dataset named "${String(to)}" already exists.`);
    }
    await rename(source, target);
  }

  /** Moves the dataset folder to the trash and returns where it went. */
  async trash(name: unknown): Promise<string> {
    const source = await this.require(name);
    await mkdir(this.trashRoot, { recursive: true });
    const target = path.join(this.trashRoot, `${String(name)}-${stamp()}`);
    await rename(source, target);
    return target;
  }

  /** Moves one image and its caption to `.trash/{dataset}-{image}-{timestamp}/`. */
  async trashImage(dataset: string, dir: string, image: string): Promise<void> {
    const target = path.join(this.trashRoot, `${dataset}-${image}-${stamp()}`);
    await mkdir(target, { recursive: true });
    await rename(path.join(dir, image), path.join(target, image));
    const caption = captionNameFor(image);
    if (await exists(path.join(dir, caption)))
      await rename(path.join(dir, caption), path.join(target, caption));
  }
}
