/**
 * Errors a person can act on, each with the HTTP status it answers with; the JSON error handler
 * (`answers.ts`) sends their message as it is.
 *
 * ```ts
 * throw badRequest(`The dataset name "${name}" contains a slash.`);
 * throw new StudioError(413, "Upload at most 500 files at a time.");
 * ```
 */
export class StudioError extends Error {
  override name = "StudioError";
  constructor(
    readonly status: number,
    message: string,
    /** Headers the answer carries (Retry-After, say). */
    readonly headers: Record<string, string> = {},
    /** Fields the JSON answer carries beside `success` and `message`. */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new StudioError(400, message);
export const unauthorized = (message: string) => new StudioError(401, message);
export const forbidden = (message: string) => new StudioError(403, message);
export const notFound = (message: string) => new StudioError(404, message);
export const conflict = (message: string) => new StudioError(409, message);
