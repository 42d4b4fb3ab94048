/**
 * Kept-alive connections, per origin, for the requests of one download run: a connection whose answer is
 * complete waits here (reading, so a close by the server is seen) for the next request to its origin, for
 * at most `idleMs`. `close()` ends every waiting connection when the run is over.
 *
 * ```ts
 * const pool = new ConnectionPool();
 * const answer = await request(url, { method: "GET", headers: {}, signal, headTimeoutMs: 60_000, pool });
 * pool.close();
 * ```
 */
import { Connection, type ConnectOptions } from "./connection.js";

/** How long a kept-alive connection waits for another request (servers commonly close theirs after 5 s). */
export const POOL_IDLE_MS = 4000;
/** Connections kept per origin at most. */
export const POOL_PER_ORIGIN = 32;

export class ConnectionPool {
  private readonly idle = new Map<string, Set<Connection>>();
  private readonly timers = new Map<Connection, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly options: ConnectOptions = {},
    private readonly idleMs = POOL_IDLE_MS,
  ) {}

  /** Connections waiting for a request. */
  get waiting(): number {
    return this.timers.size;
  }

  /** A waiting connection to `url`'s origin, or a new one. `reused` says which. */
  connect(url: URL): { connection: Connection; reused: boolean } {
    const waiting = this.idle.get(url.origin);
    for (const connection of waiting ?? []) {
      this.forget(connection);
      if (connection.isOpen) return { connection, reused: true };
    }
    const connection = new Connection(url, this.options);
    connection.onIdle = (c) => this.keep(c);
    connection.onClose = (c) => this.forget(c);
    return { connection, reused: false };
  }

  /** Ends every waiting connection; later answers close their connections instead of waiting. */
  close(): void {
    this.closed = true;
    for (const set of [...this.idle.values()])
      for (const c of [...set]) c.close(new Error("the download run is over"));
  }

  private keep(connection: Connection): void {
    let set = this.idle.get(connection.origin);
    if (this.closed || (set?.size ?? 0) >= POOL_PER_ORIGIN) {
      connection.close(new Error("not kept"));
      return;
    }
    if (!set) this.idle.set(connection.origin, (set = new Set()));
    set.add(connection);
    connection.idle();
    const timer = setTimeout(() => connection.close(new Error("idle")), this.idleMs);
    timer.unref();
    this.timers.set(connection, timer);
  }

  private forget(connection: Connection): void {
    clearTimeout(this.timers.get(connection));
    this.timers.delete(connection);
    const set = this.idle.get(connection.origin);
    set?.delete(connection);
    if (set?.size === 0) this.idle.delete(connection.origin);
  }
}
