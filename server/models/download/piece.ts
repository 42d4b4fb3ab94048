/**
 * One Range request of a ranged transfer, with the answer checked against what was asked: a 206 for the
 * same start, the same total size, no more bytes than the piece holds. Redirects are followed by `openUrl`
 * (each hop gets only its own host's token); the first target reached is reused by the transfer's other
 * requests, and a refused reused target is retryable, so the next try starts from the manifest URL again.
 *
 * ```ts
 * const { res, url, end } = await openPiece(task, ctx, { from, end: piece.end, size, signal, via });
 * ```
 */
import { openUrl, retryAfterMs, statusError } from "../http.js";
import type { Answer } from "../wire/answer.js";
import type { RunContext } from "./context.js";
import { FileFailure } from "./errors.js";
import { contentLength, parseContentRange } from "./headers.js";
import type { Task } from "./plan.js";

/** The server does not honour Range requests (whole file, another range, more than asked). */
export class RangesRefused extends Error {}

/** The file on the server is not the size the transfer was planned for. */
export class SizeChanged extends Error {
  constructor(readonly total: number | undefined) {
    super("the file on the server changed size");
  }
}

export interface PieceRequest {
  /** First byte wanted. */
  from: number;
  /** One past the last byte wanted; the file's size asks an open range (`bytes=from-`). */
  end: number;
  size: number;
  signal: AbortSignal;
  /** The redirect target the transfer reuses, set by the first answer that came through a redirect. */
  via: { url?: string };
}

/** Sends the request and checks the answer's headers; the body is for the caller. `end` is what it brings. */
export async function openPiece(
  task: Task,
  ctx: RunContext,
  ask: PieceRequest,
): Promise<{ res: Answer; url: URL; end: number }> {
  const range = ask.end >= ask.size ? `bytes=${ask.from}-` : `bytes=${ask.from}-${ask.end - 1}`;
  const { res, url } = await openUrl(ask.via.url ?? task.url, {
    method: "GET",
    headers: { Range: range },
    tokens: ctx.tokens,
    tokenHosts: ctx.tokenHosts,
    signal: ask.signal,
    idleTimeoutMs: ctx.idleTimeoutMs,
    pool: ctx.pool,
  });
  const status = res.statusCode;
  if (status === 206) {
    const answer = parseContentRange(res.headers["content-range"]);
    const length = contentLength(res.headers["content-length"]);
    const problem =
      !answer || answer.start !== ask.from || answer.end === undefined
        ? "the server answered another byte range than asked"
        : answer.end >= ask.end || (length !== undefined && length !== answer.end - answer.start + 1)
          ? "the server sent more bytes than the range asked"
          : undefined;
    if (answer?.total !== undefined && answer.total !== ask.size) {
      res.destroy();
      throw new SizeChanged(answer.total);
    }
    if (problem || answer?.end === undefined) {
      res.destroy();
      throw new RangesRefused(problem);
    }
    if (url.href !== task.url) ask.via.url ??= url.href;
    return { res, url, end: answer.end + 1 };
  }
  if (status === 200) {
    res.destroy();
    throw new RangesRefused("the server does not resume or split downloads");
  }
  res.discard();
  if (status === 416) throw new SizeChanged(parseContentRange(res.headers["content-range"])?.total);
  const error = statusError(
    status,
    url,
    new URL(task.url),
    ctx.tokens,
    ctx.tokenHosts,
    retryAfterMs(res.headers["retry-after"]),
  );
  if (!error.retryable) throw new FileFailure(`${error.message} (${task.url})`);
  throw error;
}
