/**
 * The LoRA-Tool's JSON API as typed calls; failures become ApiError with the server's message.
 * The answers' shapes are defined once, in lora-tool/api.ts (types only: nothing is fetched for them).
 */
import type { UploadAnswer } from "../api.js";

export type {
  CaptionStats,
  DatasetDetail,
  DatasetSummary,
  ImageItem,
  PublicSettings,
  RunStatus,
  UploadAnswer,
} from "../api.js";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function datasetUrl(name: string, suffix = ""): string {
  return `/api/datasets/${encodeURIComponent(name)}${suffix}`;
}

export function imageUrl(dataset: string, image: string, suffix = ""): string {
  return datasetUrl(dataset, `/images/${encodeURIComponent(image)}${suffix}`);
}

async function answerOf<T>(response: Response): Promise<T> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // not JSON: fall through to a generic message
  }
  if (!response.ok || body.success !== true) {
    const message =
      typeof body.message === "string" ? body.message : `The server answered ${response.status}.`;
    throw new ApiError(message, response.status, body);
  }
  return body as T;
}

async function send<T>(url: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, credentials: "same-origin" });
  } catch {
    throw new ApiError("The LoRA-Tool server cannot be reached. Is it still running?", 0);
  }
  return await answerOf<T>(response);
}

export async function getJson<T>(url: string): Promise<T> {
  return await send<T>(url, { headers: { Accept: "application/json" } });
}

export async function postJson<T>(url: string, body: unknown = {}): Promise<T> {
  return await send<T>(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
}

/** Uploads files as multipart (field `images`), reporting progress from 0 to 1. */
export function uploadFiles(
  url: string,
  files: readonly File[],
  onProgress: (fraction: number) => void,
): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const file of files) form.append("images", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      const body = (request.response ?? {}) as UploadAnswer;
      if (typeof body.success !== "boolean") {
        reject(new ApiError(`The server answered ${request.status}.`, request.status));
        return;
      }
      resolve(body);
    });
    request.addEventListener("error", () =>
      reject(new ApiError("The upload failed: the server cannot be reached.", 0)),
    );
    request.send(form);
  });
}
