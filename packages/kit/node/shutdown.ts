/**
 * Stopping an HTTP server cleanly: on SIGTERM (or SIGINT) it stops listening, closes idle connections, lets
 * the requests in flight finish for at most DRAIN_MS, then closes what is left and the process exits.
 *
 * ```ts
 * const drain = drainable(server);
 * onStopSignals(async () => {
 *   await drain({ alongside: [captioner.shutdown()] });
 *   process.exit(0);
 * });
 * ```
 */
import type { Server } from "node:http";

/**
 * How long, in ms, a stopping server lets requests in flight finish before it closes their connections.
 * It stays well below the studio's STOP_GRACE_MS (10 s by default: how long the studio waits after
 * SIGTERM before it sends SIGKILL), so a tool the studio stops always ends on its own.
 */
export const DRAIN_MS = 3_000;

export interface DrainOptions {
  /** Default DRAIN_MS. */
  drainMs?: number;
  /** Other work that must end before the exit (cancelled background runs), within the same time. */
  alongside?: Promise<unknown>[];
}

/**
 * Prepares `server` for a clean stop (call it once, right after creating the server) and returns the
 * function that stops it: it resolves true when everything ended within the time, false when connections
 * had to be cut.
 */
export function drainable(server: Server): (options?: DrainOptions) => Promise<boolean> {
  let draining = false;
  server.on("request", (_req, res) => {
    // A keep-alive connection would stay open after its answer; once stopping, it closes right then.
    res.on("finish", () => {
      if (draining) server.closeIdleConnections();
    });
  });
  return async ({ drainMs = DRAIN_MS, alongside = [] } = {}) => {
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), drainMs);
    });
    const finished = Promise.allSettled([closed, ...alongside]).then(() => true as const);
    const inTime = await Promise.race([finished, deadline]);
    clearTimeout(timer);
    server.closeAllConnections();
    return inTime;
  };
}

/** Runs `stop` once, on the first SIGTERM or SIGINT. */
export function onStopSignals(stop: (signal: NodeJS.Signals) => Promise<void> | void): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop(signal);
    });
  }
}
