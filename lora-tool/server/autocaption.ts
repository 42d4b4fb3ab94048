/**
 * Auto-caption runs, one per dataset at a time: a few requests at once (p-limit), progress for the
 * page to poll, images with captions skipped unless overwriting, and a clean stop on cancel (requests
 * aborted, nothing written after the stop, every caption written whole).
 */
import pLimit from "p-limit";
import { badRequest, conflict } from "@comfystudio/kit/errors";
import type { Logger } from "pino";
import type { RunStatus } from "../api.js";
import { CancelledError } from "./backoff.js";
import { applyTrigger, isOnlyTrigger } from "./caption-text.js";
import { writeCaption } from "./captions.js";
import { listImages } from "./images.js";
import type { SettingsStore } from "./settings.js";
import {
  CaptionError,
  DEFAULT_RETRY_POLICY,
  encodeImageForModel,
  requestCaption,
  type RetryPolicy,
} from "./vision-client.js";

export interface RunParams {
  prompt: string;
  overwrite: boolean;
  trigger_word: string;
}

/** Answers that no retry or other image will fix: stop the whole run. */
const FATAL_STATUSES = new Set([401, 403, 404]);
const MAX_LISTED_ERRORS = 50;

interface Run {
  status: RunStatus;
  inProgress: Set<string>;
  controller: AbortController;
  finished: Promise<void>;
}

export class AutoCaptioner {
  private readonly runs = new Map<string, Run>();
  private readonly policy: RetryPolicy;

  constructor(
    private readonly settings: SettingsStore,
    private readonly logger: Logger,
    policy: Partial<RetryPolicy> = {},
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
  }

  isActive(dataset: string): boolean {
    const state = this.runs.get(dataset)?.status.state;
    return state === "running" || state === "cancelling";
  }

  /** Refuses (409) when a run is active on the dataset: renaming, deleting and set-wide edits wait. */
  assertIdle(dataset: string): void {
    if (this.isActive(dataset)) {
      throw conflict("Auto-caption is running on this dataset; wait for it to finish or cancel it first.");
    }
  }

  status(dataset: string): RunStatus | null {
    const run = this.runs.get(dataset);
    if (!run) return null;
    return { ...run.status, in_progress: [...run.inProgress], errors: [...run.status.errors] };
  }

  forget(dataset: string): void {
    if (!this.isActive(dataset)) this.runs.delete(dataset);
  }

  async start(dataset: string, dir: string, params: RunParams): Promise<RunStatus> {
    this.assertIdle(dataset);
    const settings = await this.settings.get();
    if (settings.base_url === "" || settings.model === "") {
      throw badRequest("Set the endpoint's base URL and model first.");
    }
    const images = await listImages(dir, { dimensions: false });
    const trigger = params.trigger_word.trim();
    const needsCaption = (caption: string | null) =>
      params.overwrite || caption === null || caption.trim() === "" || isOnlyTrigger(caption, trigger);
    const targets = images.filter((image) => needsCaption(image.caption)).map((image) => image.name);

    // Checked again with no wait before the run is recorded, so two starts cannot both begin.
    this.assertIdle(dataset);
    const controller = new AbortController();
    const status: RunStatus = {
      dataset,
      state: "running",
      total: images.length,
      done: images.length - targets.length,
      captioned: 0,
      skipped: images.length - targets.length,
      failed: 0,
      retries: 0,
      in_progress: [],
      errors: [],
      message: "",
      started_at: new Date().toISOString(),
      ended_at: null,
    };
    const run: Run = { status, inProgress: new Set(), controller, finished: Promise.resolve() };
    this.runs.set(dataset, run);
    this.logger.info({ dataset, images: targets.length, model: settings.model }, "auto-caption started");

    const limit = pLimit(settings.concurrency);
    const one = async (image: string) => {
      if (controller.signal.aborted) return;
      run.inProgress.add(image);
      try {
        const imageDataUrl = await encodeImageForModel(dir, image).catch(() => {
          throw new CaptionError("The image could not be read.");
        });
        const caption = await requestCaption(
          {
            baseUrl: settings.base_url,
            model: settings.model,
            apiKey: settings.api_key,
            prompt: params.prompt,
            imageDataUrl,
            signal: controller.signal,
          },
          this.policy,
          (event) => {
            status.retries++;
            this.logger.warn(
              { dataset, image, attempt: event.attempt, delay_ms: event.delayMs, reason: event.reason },
              "auto-caption retry",
            );
          },
        );
        if (controller.signal.aborted) return;
        await writeCaption(dir, image, trigger ? applyTrigger(caption, trigger) : caption);
        status.captioned++;
        status.done++;
      } catch (error) {
        if (error instanceof CancelledError || controller.signal.aborted) return;
        const message =
          error instanceof CaptionError ? error.message : "Unexpected error; see the server log.";
        if (!(error instanceof CaptionError))
          this.logger.error({ err: error, dataset, image }, "auto-caption failed");
        status.failed++;
        status.done++;
        if (status.errors.length < MAX_LISTED_ERRORS) status.errors.push({ image, message });
        if (error instanceof CaptionError && error.status !== null && FATAL_STATUSES.has(error.status)) {
          status.state = "failed";
          status.message = `Stopped: ${message}`;
          controller.abort();
        }
      } finally {
        run.inProgress.delete(image);
      }
    };

    run.finished = Promise.all(targets.map((image) => limit(() => one(image)))).then(() => {
      if (status.state === "cancelling") {
        status.state = "cancelled";
        status.message = `Cancelled after ${status.captioned} captioned.`;
      } else if (status.state === "running") {
        status.state = "done";
        status.message =
          `${status.captioned} captioned, ${status.skipped} skipped` +
          (status.failed ? `, ${status.failed} failed.` : ".");
      }
      status.ended_at = new Date().toISOString();
      this.logger.info(
        {
          dataset,
          state: status.state,
          captioned: status.captioned,
          skipped: status.skipped,
          failed: status.failed,
        },
        "auto-caption ended",
      );
    });
    return this.status(dataset) as RunStatus;
  }

  /** Stops the run: requests in flight are aborted and nothing more is written. */
  cancel(dataset: string): RunStatus | null {
    const run = this.runs.get(dataset);
    if (run && run.status.state === "running") {
      run.status.state = "cancelling";
      run.controller.abort();
    }
    return this.status(dataset);
  }

  /** Waits for the dataset's run to end (tests, shutdown). */
  async settled(dataset: string): Promise<void> {
    await this.runs.get(dataset)?.finished;
  }

  async shutdown(): Promise<void> {
    for (const dataset of this.runs.keys()) this.cancel(dataset);
    await Promise.all([...this.runs.values()].map((run) => run.finished));
  }
}
