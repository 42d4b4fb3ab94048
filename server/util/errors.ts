/** An error a person can act on, with the HTTP status it answers with. */
export class StudioError extends Error {
  override name = "StudioError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new StudioError(400, message);
export const forbidden = (message: string) => new StudioError(403, message);
export const notFound = (message: string) => new StudioError(404, message);
export const conflict = (message: string) => new StudioError(409, message);
