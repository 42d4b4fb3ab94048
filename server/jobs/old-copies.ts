/**
 * The old copies a reinstall leaves beside a tool (`ComfyUI.old-20261201-101500`): listed with the tool they
 * belong to, when they were made and how much disk they hold, and deleted by an admin as a job (the script
 * `setup/old-copies/delete_old_copy.sh`, so a delete of a large tree runs, logs and cancels like any job).
 * A name is taken only when it is one of the copies listed right now: a real folder, directly in the
 * workspace, named after an installed-folder tool; a link is never one.
 *
 * ```ts
 * const copies = await oldCopies.list(); // [{ name, tool_id, made_at, bytes }], bytes null while measured
 * const job = await oldCopies.remove("Razvan Matei", "ComfyUI.old-20261201-101500");
 * ```
 */
import { lstatSync, promises as fs } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import pLimit from "p-limit";
import type { OldCopy } from "../api.js";
import type { Config } from "../config.js";
import { TOOLS } from "../tools/registry.js";
import { formatBytes } from "../util/bytes.js";
import { readableFileProblem } from "@comfystudio/kit/paths";
import { conflict, notFound, StudioError } from "../util/errors.js";
import type { JobRecord, JobRunner } from "./runner.js";

/** `{folder}.old-YYYYMMDD-HHMMSS`, with `-1` added as often as a name was taken (setup/lib/reinstall.sh). */
const OLD_SUFFIX = /^\.old-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-1)*$/;
/** Old copies holding more than this together are named in /debug's warnings. */
const WARN_ABOVE_BYTES = 1e9;
/** How long `du` may take over one copy. */
const MEASURE_TIMEOUT_MS = 10 * 60_000;

/** The tools whose install is one folder in the workspace, which a reinstall moves aside. */
const FOLDERS = TOOLS.flatMap((tool) =>
  tool.installed.kind === "folder" ? [{ toolId: tool.id, folder: tool.installed.path }] : [],
);

export class OldCopies {
  /** Disk bytes per copy, by path; a copy never changes, so a measure holds until it is deleted. */
  private readonly sizes = new Map<string, number | "measuring" | "unknown">();
  private readonly measures = pLimit(1);
  private listed: OldCopy[] = [];

  private readonly script: string;
  private readonly warnAboveBytes: number;

  constructor(
    private readonly config: Config,
    private readonly jobs: JobRunner,
    options: { script?: string; warnAboveBytes?: number } = {},
  ) {
    this.script = options.script ?? path.join(config.repoDir, "setup", "old-copies", "delete_old_copy.sh");
    this.warnAboveBytes = options.warnAboveBytes ?? WARN_ABOVE_BYTES;
  }

  /** The old copies in the workspace, newest first. */
  async list(): Promise<OldCopy[]> {
    const entries = await fs.readdir(this.config.workspaceDir, { withFileTypes: true }).catch(() => []);
    const copies: OldCopy[] = [];
    for (const entry of entries) {
      // A Dirent of a link says isSymbolicLink, never isDirectory: links are not copies.
      if (!entry.isDirectory()) continue;
      const owner = FOLDERS.find((f) => entry.name.startsWith(`${f.folder}.old-`));
      const made = owner && OLD_SUFFIX.exec(entry.name.slice(owner.folder.length));
      if (!owner || !made) continue;
      const [, y, mo, d, h, mi, s] = made;
      const size = this.sizeOf(path.join(this.config.workspaceDir, entry.name));
      copies.push({
        name: entry.name,
        tool_id: owner.toolId,
        made_at: new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`).toISOString(),
        bytes: typeof size === "number" ? size : null,
        measuring: size === "measuring",
      });
    }
    const known = new Set(copies.map((c) => path.join(this.config.workspaceDir, c.name)));
    for (const dir of this.sizes.keys()) if (!known.has(dir)) this.sizes.delete(dir);
    this.listed = copies.sort((a, b) => b.made_at.localeCompare(a.made_at) || b.name.localeCompare(a.name));
    return this.listed;
  }

  /** A sentence for /debug when the copies of the last listing hold much of the volume. */
  get warnings(): string[] {
    const bytes = this.listed.reduce((sum, copy) => sum + (copy.bytes ?? 0), 0);
    if (bytes <= this.warnAboveBytes) return [];
    const count = this.listed.length;
    return [
      `${count} old ${count === 1 ? "copy" : "copies"} of reinstalled tools hold ${formatBytes(bytes)} on the volume; an admin can delete them (Admin, Old copies).`,
    ];
  }

  /** Queues the delete of the copy `name` as a job; 404 when it is not one of the listed copies. */
  async remove(admin: string, name: string): Promise<JobRecord> {
    const copies = await this.list();
    if (!copies.some((c) => c.name === name)) {
      const listed = copies.length
        ? `the old copies are ${copies.map((c) => c.name).join(", ")}`
        : "there are none";
      throw notFound(`There is no old copy "${name.slice(0, 80)}" in the workspace; ${listed}.`);
    }
    const problem = readableFileProblem(this.script);
    if (problem) {
      const script = path.relative(this.config.repoDir, this.script);
      throw new StudioError(
        problem === "is missing" ? 404 : 409,
        `The script ${script} ${problem}; fix the studio's repository and try again.`,
      );
    }
    const queued = this.jobs
      .list()
      .some(
        (job) => job.kind === "old_copy" && job.target === name && ["queued", "running"].includes(job.status),
      );
    if (queued) throw conflict(`${name} is already being deleted; follow its job.`);
    const dir = path.join(this.config.workspaceDir, name);
    return this.jobs.enqueue({
      kind: "old_copy",
      target: name,
      action: "delete",
      requestedBy: admin,
      work: { script: this.script, args: [dir] },
      precondition: () => (isRealDir(dir) ? null : `${name} is no longer in the workspace.`),
    });
  }

  /** The measured size, "measuring" while `du` runs (started here on first sight), or "unknown". */
  private sizeOf(dir: string): number | "measuring" | "unknown" {
    const known = this.sizes.get(dir);
    if (known !== undefined) return known;
    this.sizes.set(dir, "measuring");
    void this.measures(() => measure(dir)).then((bytes) => {
      if (this.sizes.get(dir) === "measuring") this.sizes.set(dir, bytes ?? "unknown");
    });
    return "measuring";
  }
}

/** Disk bytes of `dir` by `du` (one filesystem, links not followed), or null when it cannot tell. */
async function measure(dir: string): Promise<number | null> {
  const result = await execa("du", ["-s", "-x", "-B1", "--", dir], {
    reject: false,
    timeout: MEASURE_TIMEOUT_MS,
  });
  const bytes = Number(result.stdout.split("\t")[0]);
  return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : null;
}

function isRealDir(dir: string): boolean {
  try {
    return lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}
