/**
 * A loopback HTTP file server for the downloader tests: serves generated files with Range support and can
 * misbehave on purpose (drop the connection, stall, answer an error status a few times, ignore Range or
 * answer another range, limit each connection's speed, redirect to another server, demand a token). It
 * records every request and the most bodies it sent at once.
 */
import { createCipheriv, createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Deterministic pseudo-random bytes (AES-128-CTR over zeros, keyed by `seed`). */
export function generateContent(seed: string, size: number): Buffer {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface Behaviour {
  /** Answer this status to the next `times` requests of `methods` (default GET only). */
  fail?: { status: number; times: number; methods?: string[] };
  /** Always answer this status. */
  status?: number;
  /** On the next `times` GETs, write about this many body bytes, then close the connection. */
  drop?: { afterBytes: number; times: number };
  /** On the next `times` GETs, write this many body bytes, then send nothing more until `releaseStalls()`. */
  stall?: { afterBytes: number; times: number };
  /** Answer 200 with the whole file even to a Range request. */
  ignoreRange?: boolean;
  /** Redirect (302) to the same path on this base URL; `linkedSize` adds an `X-Linked-Size` header. */
  redirectTo?: string;
  linkedSize?: boolean;
  /** Demand `Authorization: Bearer {token}`: 401 without one, 403 with another. */
  requireToken?: string;
  /** Answer 405 to HEAD. */
  noHead?: boolean;
  /** Send at most this many body bytes per second on each connection (as a CDN does). */
  rate?: number;
  /**
   * Answer a Range request with 206 but not as asked: `shift` sends the range one byte later than asked,
   * `long` starts where asked but runs to the end of the file.
   */
  lieRange?: "shift" | "long";
}

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  status: number;
  /** Body bytes handed to the socket. */
  bytesSent: number;
}

interface Served {
  data?: Buffer;
  behaviour: Behaviour;
}

export class TestFileServer {
  readonly requests: RecordedRequest[] = [];
  /** The most GETs that were sending a body at the same time. */
  maxActive = 0;
  private active = 0;
  private readonly files = new Map<string, Served>();
  private stallRelease: (() => void)[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<TestFileServer> {
    const holder: { instance?: TestFileServer } = {};
    const server = http.createServer((req, res) => {
      void holder.instance?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    holder.instance = new TestFileServer(server, (server.address() as AddressInfo).port);
    return holder.instance;
  }

  /** `127.0.0.1:port`, as a token-host key. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Serves `data` at `path` (no data: only the behaviour, e.g. a redirect). */
  add(path: string, data: Buffer | undefined, behaviour: Behaviour = {}): void {
    this.files.set(path, { data, behaviour });
  }

  behaviour(path: string): Behaviour {
    const served = this.files.get(path);
    if (!served) throw new Error(`nothing served at ${path}`);
    return served.behaviour;
  }

  requestsFor(path: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && (method === undefined || r.method === method));
  }

  releaseStalls(): void {
    for (const release of this.stallRelease.splice(0)) release();
  }

  async close(): Promise<void> {
    this.releaseStalls();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      range: req.headers.range,
      authorization: req.headers.authorization,
      status: 0,
      bytesSent: 0,
    };
    this.requests.push(record);
    const answer = (status: number, headers: Record<string, string | number> = {}): void => {
      record.status = status;
      res.writeHead(status, headers);
      res.end();
    };

    const served = this.files.get(path);
    if (!served) return answer(404);
    const b = served.behaviour;
    if (b.requireToken !== undefined) {
      if (!req.headers.authorization) return answer(401);
      if (req.headers.authorization !== `Bearer ${b.requireToken}`) return answer(403);
    }
    if (b.status !== undefined) return answer(b.status);
    if (b.fail && b.fail.times > 0 && (b.fail.methods ?? ["GET"]).includes(record.method)) {
      b.fail.times--;
      return answer(b.fail.status);
    }
    if (b.redirectTo !== undefined) {
      const headers: Record<string, string | number> = { Location: `${b.redirectTo}${path}` };
      if (b.linkedSize && served.data) headers["X-Linked-Size"] = served.data.length;
      return answer(302, headers);
    }
    const data = served.data;
    if (!data) return answer(404);
    if (record.method === "HEAD") {
      if (b.noHead) return answer(405);
      return answer(200, { "Content-Length": data.length, "Accept-Ranges": "bytes" });
    }

    let start = 0;
    let end = data.length;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range && !b.ignoreRange) {
      start = Number(range[1]);
      end = range[2] ? Math.min(data.length, Number(range[2]) + 1) : data.length;
      if (start >= data.length) return answer(416, { "Content-Range": `bytes */${data.length}` });
      status = 206;
      if (b.lieRange === "shift") start = Math.min(start + 1, end - 1);
      if (b.lieRange === "long") end = data.length;
    }
    const headers: Record<string, string | number> = {
      "Content-Length": end - start,
      "Accept-Ranges": "bytes",
    };
    if (status === 206) headers["Content-Range"] = `bytes ${start}-${end - 1}/${data.length}`;
    record.status = status;
    res.writeHead(status, headers);

    let dropAt: number | undefined;
    if (b.drop && b.drop.times > 0) {
      b.drop.times--;
      dropAt = b.drop.afterBytes;
    }
    let stallAt: number | undefined;
    if (b.stall && b.stall.times > 0) {
      b.stall.times--;
      stallAt = b.stall.afterBytes;
    }
    let closed = false;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const closedPromise = new Promise<void>((resolve) =>
      res.once("close", () => {
        closed = true;
        this.active--;
        resolve();
      }),
    );
    const began = performance.now();
    let offset = start;
    while (offset < end && !closed) {
      let chunkEnd = Math.min(end, offset + 64 * 1024);
      const limit = dropAt ?? stallAt;
      if (limit !== undefined) chunkEnd = Math.min(chunkEnd, start + limit);
      if (chunkEnd > offset) {
        const chunk = data.subarray(offset, chunkEnd);
        record.bytesSent += chunk.length;
        offset = chunkEnd;
        const flushed = new Promise<void>((resolve) => res.write(chunk, () => resolve()));
        await Promise.race([flushed, closedPromise]);
        const ahead = b.rate ? ((offset - start) / b.rate) * 1000 - (performance.now() - began) : 0;
        if (ahead > 1) await Promise.race([sleep(ahead), closedPromise]);
      }
      if (dropAt !== undefined && offset - start >= dropAt) {
        res.socket?.destroy();
        return;
      }
      if (stallAt !== undefined && offset - start >= stallAt) {
        await Promise.race([new Promise<void>((resolve) => this.stallRelease.push(resolve)), closedPromise]);
        stallAt = undefined;
      }
    }
    if (!closed) res.end();
  }
}
