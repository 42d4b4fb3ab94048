/**
 * The LoRA-Tool's JSON API as typed calls (the kit's JSON client); failures become ApiError with the server's
 * message.
 * The answers' shapes are defined once, in lora-tool/api.ts (types only: nothing is fetched for them).
 */
import type { UploadAnswer } from "../api.js";
import { ApiError, jsonClient } from "./kit/web/api.js";

export type {
  CaptionStats,
  DatasetDetail,
  DatasetSummary,
  ImageItem,
  PublicSettings,
  RunStatus,
  UploadAnswer,
} from "../api.js";

/** JSON calls to the LoRA-Tool; a failure throws ApiError with the server's message. */
export const { getJson, postJson } = jsonClient("the LoRA-Tool");

export function datasetUrl(name: string, suffix = ""): string {
  return `/api/datasets/${encodeURIComponent(name)}${suffix}`;
}

export function imageUrl(dataset: string, image: string, suffix = ""): string {
  return datasetUrl(dataset, `/images/${encodeURIComponent(image)}${suffix}`);
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
