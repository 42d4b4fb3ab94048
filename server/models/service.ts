/**
 * Model sets for the HTTP layer: the manifests in `setup/download-models/`, their status on disk, downloads
 * as jobs (tokens live only in that job's memory) and live progress per set.
 *
 * ```ts
 * const models = new ModelService({ config, logger });
 * await models.list();                                   // [{ id, name, installed, total, bytes }]
 * models.download(["flux1-dev"], { hf: "hf_..." }, "Razvan", jobs);
 * ```
 */
import path from "node:path";
import type { Logger } from "pino";
import type { ModelSetStatus, SetProgress } from "../api.js";
import type { Config } from "../config.js";
import type { JobRecord, JobRunner } from "../jobs/runner.js";
import { badRequest } from "../util/errors.js";
import type { DownloadProgress, Tokens } from "./downloader.js";
import { downloadSetsInThread } from "./thread/run.js";
import { loadModelSets, type ModelSet } from "./manifest.js";
import { setsStatus } from "./status.js";

export type { ModelSetStatus, SetProgress };

export class ModelService {
  warnings: string[] = [];
  private readonly progress = new Map<string, SetProgress>();
  private jobId: string | null = null;

  constructor(private readonly options: { config: Config; logger: Logger }) {}

  get manifestDir(): string {
    return path.join(this.options.config.repoDir, "setup", "download-models");
  }

  /** Reads the manifests (small files, read on each call so an edit shows at once). */
  async sets(): Promise<ModelSet[]> {
    const { sets, warnings } = await loadModelSets(this.manifestDir, this.options.config.workspaceDir);
    this.warnings = warnings.map((warning) => `Model manifest ${warning}`);
    return sets;
  }

  async list(): Promise<ModelSetStatus[]> {
    return await setsStatus(await this.sets(), { stateDir: this.options.config.stateDir });
  }

  /** The progress of the newest download job, per set. */
  progressView(jobs: JobRunner): { job_id: string | null; running: boolean; sets: SetProgress[] } {
    const job = this.jobId ? jobs.get(this.jobId) : undefined;
    return { job_id: this.jobId, running: job?.status === "running", sets: [...this.progress.values()] };
  }

  /** Queues a download of `ids` as a job; unknown ids are a 400 and nothing is queued. */
  async download(ids: string[], given: Tokens, requestedBy: string, jobs: JobRunner): Promise<JobRecord> {
    const all = await this.sets();
    const unique = [...new Set(ids)];
    const unknown = unique.filter((id) => !all.some((set) => set.id === id));
    if (unknown.length > 0) {
      throw badRequest(
        `Unknown model set ${unknown.map((id) => `"${id.slice(0, 60)}"`).join(", ")}: choose from ${all.map((set) => set.id).join(", ")}.`,
      );
    }
    const chosen = all.filter((set) => unique.includes(set.id));
    const { config } = this.options;
    const tokens: Tokens = {
      hf: given.hf?.trim() || config.secrets.hfToken,
      civitai: given.civitai?.trim() || config.secrets.civitaiToken,
    };
    const job = jobs.enqueue({
      kind: "models",
      target: unique.join(","),
      action: "download",
      requestedBy,
      work: {
        task: async ({ log, signal, job: record }) => {
          this.jobId = record.job_id;
          this.progress.clear();
          const onProgress = (p: DownloadProgress) => this.progress.set(p.id, toView(p));
          const summary = await downloadSetsInThread(chosen, {
            workspaceDir: config.workspaceDir,
            stateDir: config.stateDir,
            tokens,
            signal,
            log,
            onProgress,
          });
          log(
            `${summary.downloaded} downloaded, ${summary.skipped} already complete, of ${summary.files} files`,
          );
        },
      },
    });
    return job;
  }
}

function toView(p: DownloadProgress): SetProgress {
  return {
    id: p.id,
    done_bytes: p.doneBytes,
    total_bytes: p.totalBytes,
    files_done: p.filesDone,
    files_failed: p.filesFailed,
    files_total: p.filesTotal,
    bytes_per_second: Math.round(p.bytesPerSecond),
    finished: p.finished,
  };
}
