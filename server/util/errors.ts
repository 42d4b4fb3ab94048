/** An error a person can act on, with the HTTP status it answers with (and headers, such as Retry-After). */
export class StudioError extends Error {
  override name = "StudioError";
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Fields added to the JSON answer beside `success` and `message`. */
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
