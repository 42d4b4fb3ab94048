/**
 * One HTTP request over the run's pool: resolves with the answer's status and headers, its body unread. A
 * kept-alive connection that the server closed just before the request (no byte of an answer came) is
 * replaced by another, as browsers and Node's agent do for requests that are safe to repeat.
 *
 * ```ts
 * const answer = await request(new URL(href), { method: "GET", headers: { Range: "bytes=0-" }, signal, headTimeoutMs: 60_000, pool });
 * ```
 */
import type { Answer } from "./answer.js";
import type { ConnectionPool } from "./pool.js";

export interface RequestOptions {
  method: "GET" | "HEAD";
  headers: Record<string, string>;
  signal: AbortSignal;
  /** The request fails when no answer begins for this long. */
  headTimeoutMs: number;
  pool: ConnectionPool;
}

/** The answer, or nothing when a reused connection turned out closed. */
function attempt(url: URL, options: RequestOptions): Promise<Answer | undefined> {
  const { connection, reused } = options.pool.connect(url);
  return new Promise((resolve, reject) => {
    try {
      connection.send(url, options.method, options.headers, {
        headTimeoutMs: options.headTimeoutMs,
        signal: options.signal,
        onHead: resolve,
        onError: (error, stale) => (reused && stale ? resolve(undefined) : reject(error)),
      });
    } catch (error) {
      connection.close(error instanceof Error ? error : new Error(String(error)));
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** Each stale connection leaves the pool, so the tries end at a new connection, whose failure is thrown. */
export async function request(url: URL, options: RequestOptions): Promise<Answer> {
  for (;;) {
    const answer = await attempt(url, options);
    if (answer) return answer;
  }
}
