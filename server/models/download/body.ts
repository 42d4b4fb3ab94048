/**
 * The sink a run writes each answer's body with: slabs and thread-pool writes on the studio's own event loop
 * (`BodyWriter`), blocking writes straight from the connection's buffer in a download thread (`DirectWriter`).
 *
 * ```ts
 * const body = writeBody(res, fd, offset, signal, ctx);
 * await body.done;
 * ```
 */
import type { Answer } from "../wire/answer.js";
import type { RunContext } from "./context.js";
import { DirectWriter } from "./direct.js";
import { BodyWriter } from "./writer.js";

export interface BodyOut {
  /** Bytes from the start that are on disk. */
  readonly written: number;
  readonly done: Promise<void>;
}

export function writeBody(
  res: Answer,
  fd: number,
  position: number,
  signal: AbortSignal,
  ctx: Pick<RunContext, "writes" | "slabs">,
): BodyOut {
  return ctx.writes === "sync"
    ? new DirectWriter(res, fd, position, signal)
    : new BodyWriter(res, fd, position, signal, ctx.slabs);
}
