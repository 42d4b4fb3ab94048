/**
 * The downloader's HTTP client (server/models/wire/) against real servers: Node's own http and https
 * servers, and raw TCP servers for answers Node's server would not send (no length, malformed, silent).
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Answer } from "../../server/models/wire/answer.js";
import { ConnectionPool } from "../../server/models/wire/pool.js";
import { request } from "../../server/models/wire/request.js";
import { waitFor } from "../helpers/wait.js";

const TLS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/tls");
const cert = readFileSync(path.join(TLS_DIR, "cert.pem"));
const key = readFileSync(path.join(TLS_DIR, "key.pem"));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A Node HTTP server that counts its connections. */
async function httpServer(handler: http.RequestListener, options: http.ServerOptions = {}) {
  const server = http.createServer(options, handler);
  const counts = { connections: 0, open: 0 };
  server.on("connection", (socket) => {
    counts.connections++;
    counts.open++;
    socket.on("close", () => counts.open--);
  });
  const port = await listen(server);
  return { server, counts, url: (p: string) => new URL(`http://127.0.0.1:${port}${p}`) };
}

/** A TCP server that answers every connection with `reply` (then closes it unless `keepOpen`). */
async function rawServer(reply: string | null, keepOpen = false) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", () => {
      if (reply === null) return;
      if (keepOpen) socket.write(reply);
      else socket.end(reply);
    });
  });
  cleanups.push(() => sockets.forEach((s) => s.destroy()));
  const port = await listen(server);
  return new URL(`http://127.0.0.1:${port}/file`);
}

function newPool(options = {}, idleMs?: number): ConnectionPool {
  const pool = new ConnectionPool(options, idleMs);
  cleanups.push(() => pool.close());
  return pool;
}

const get = (url: URL, pool: ConnectionPool, extra: Partial<Parameters<typeof request>[1]> = {}) =>
  request(url, {
    method: "GET",
    headers: {},
    signal: new AbortController().signal,
    headTimeoutMs: 10_000,
    pool,
    ...extra,
  });

function readAll(answer: Answer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    answer.read({
      data: (view) => {
        parts.push(Buffer.from(view));
        return true;
      },
      end: () => resolve(Buffer.concat(parts)),
      fail: reject,
    });
  });
}

describe("the downloader's HTTP client", () => {
  it("reads status, headers and a sized body, and reuses the connection for the next request", async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const s = await httpServer((req, res) => {
      res.writeHead(206, {
        "Content-Range": `bytes 0-${body.length - 1}/${body.length}`,
        "X-Two": ["a", "b"],
      });
      res.end(body);
    });
    const pool = newPool();
    const first = await get(s.url("/a"), pool, { headers: { Range: "bytes=0-" } });
    expect(first.statusCode).toBe(206);
    expect(first.headers["content-range"]).toBe(`bytes 0-${body.length - 1}/${body.length}`);
    expect(first.headers["x-two"]).toBe("a, b");
    expect((await readAll(first)).equals(body)).toBe(true);
    const second = await get(s.url("/b"), pool);
    expect((await readAll(second)).length).toBe(body.length);
    expect(s.counts.connections).toBe(1);
    pool.close();
    await waitFor(() => s.counts.open === 0, { what: "the pool to close its connection" });
  });

  it("notices when the server closes a kept-alive connection, and replaces it", async () => {
    // The whole answer in one write, so it completes in the read that brings its head.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
    });
    const url = new URL(`http://127.0.0.1:${await listen(server)}/`);
    cleanups.push(() => sockets.forEach((socket) => socket.destroy()));
    const pool = newPool({}, 60_000); // seen by reading, not by the pool's idle limit
    expect((await readAll(await get(url, pool))).toString()).toBe("hello");
    expect(pool.waiting).toBe(1);
    sockets[0]!.end();
    await waitFor(() => pool.waiting === 0, { what: "the pool to see the close" });
    expect((await readAll(await get(url, pool))).toString()).toBe("hello");
    expect(sockets).toHaveLength(2);
  });

  it("replaces a kept-alive connection that closed just as it was reused", async () => {
    const s = await httpServer((_req, res) => res.end("hello"), { keepAliveTimeout: 50 });
    const pool = newPool();
    expect((await readAll(await get(s.url("/"), pool))).toString()).toBe("hello");
    await waitFor(() => s.counts.open === 0, { what: "the server to close the idle connection" });
    expect((await readAll(await get(s.url("/"), pool))).toString()).toBe("hello");
    expect(s.counts.connections).toBe(2);
  });

  it("reads chunked bodies, bodies that end with the connection, HEAD and 204 answers, and skips 1xx", async () => {
    const s = await httpServer((req, res) => {
      if (req.url === "/chunked") {
        res.write("one,");
        res.end("two");
      } else if (req.url === "/hints") {
        res.writeEarlyHints({ link: "</a.css>; rel=preload" });
        res.end("after hints");
      } else if (req.url === "/empty") {
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { "Content-Length": "5" }).end(req.method === "HEAD" ? undefined : "12345");
      }
    });
    const pool = newPool();
    expect((await readAll(await get(s.url("/chunked"), pool))).toString()).toBe("one,two");
    const hinted = await get(s.url("/hints"), pool);
    expect(hinted.statusCode).toBe(200);
    expect((await readAll(hinted)).toString()).toBe("after hints");
    const head = await request(s.url("/sized"), {
      method: "HEAD",
      headers: {},
      signal: new AbortController().signal,
      headTimeoutMs: 10_000,
      pool,
    });
    expect(head.headers["content-length"]).toBe("5");
    expect((await readAll(head)).length).toBe(0);
    expect((await get(s.url("/empty"), pool)).statusCode).toBe(204);
    expect((await readAll(await get(s.url("/sized"), pool))).toString()).toBe("12345");
    expect(s.counts.connections).toBe(1);

    const untilClose = await rawServer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it");
    expect((await readAll(await get(untilClose, pool))).toString()).toBe("all of it");
  });

  it("fails a body cut short, a malformed answer and an answer that never comes, naming the host", async () => {
    const pool = newPool();
    const short = await rawServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
    await expect(readAll(await get(short, pool))).rejects.toThrow(/before the answer was complete/);
    const garbage = await rawServer("SMTP ready\r\n\r\n");
    await expect(get(garbage, pool)).rejects.toThrow(/127\.0\.0\.1:\d+ sent a malformed answer/);
    const silent = await rawServer(null);
    await expect(get(silent, pool, { headTimeoutMs: 100 })).rejects.toThrow(
      /no answer from 127\.0\.0\.1:\d+ for 1 s/,
    );
    const twice = await rawServer(
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno",
      true,
    );
    expect((await readAll(await get(twice, pool))).toString()).toBe("ok");
    expect(pool.waiting).toBe(0); // a connection that sent an answer nobody asked for is not kept
    const hangUp = await rawServer("");
    await expect(get(hangUp, pool)).rejects.toThrow(/closed the connection without answering/);
  });

  it("refuses a header that would split the request, before sending anything", async () => {
    let requests = 0;
    const s = await httpServer((_req, res) => {
      requests++;
      res.end();
    });
    const pool = newPool();
    await expect(get(s.url("/"), pool, { headers: { Range: "bytes=0-\r\nX-Evil: 1" } })).rejects.toThrow(
      /Invalid character in header content \["Range"\]/,
    );
    expect(requests).toBe(0);
  });

  it("stops on the signal before the answer and while the body arrives", async () => {
    const s = await httpServer((req, res) => {
      if (req.url === "/slow-head") return;
      res.writeHead(200, { "Content-Length": String(1 << 30) });
      res.write(Buffer.alloc(64 * 1024));
    });
    const pool = newPool();
    const before = new AbortController();
    const pending = get(s.url("/slow-head"), pool, { signal: before.signal });
    await waitFor(() => s.counts.connections === 1, { what: "the request to arrive" });
    before.abort();
    await expect(pending).rejects.toThrow(/aborted/);

    const during = new AbortController();
    const answer = await get(s.url("/body"), pool, { signal: during.signal });
    const reading = readAll(answer);
    during.abort();
    await expect(reading).rejects.toThrow(/aborted/);
    await waitFor(() => s.counts.open === 0, { what: "both connections to close" });
  });

  it("holds the body while the sink is paused and goes on when it resumes", async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const s = await httpServer((_req, res) => res.end(body));
    const answer = await get(s.url("/"), newPool());
    const parts: Buffer[] = [];
    let pauses = 0;
    const done = new Promise<void>((resolve, reject) =>
      answer.read({
        data: (view) => {
          parts.push(Buffer.from(view));
          if (parts.length % 4 !== 0) return true;
          pauses++;
          setTimeout(() => answer.resume(), 1);
          return false;
        },
        end: resolve,
        fail: reject,
      }),
    );
    await done;
    expect(pauses).toBeGreaterThan(0);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
  });

  it("speaks TLS, checking the certificate against the given authority and the host name", async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 3);
    const server = https.createServer({ key, cert }, (_req, res) => res.end(body));
    const port = await listen(server);
    const pool = newPool({ ca: cert });
    const byName = await get(new URL(`https://localhost:${port}/x`), pool);
    expect((await readAll(byName)).equals(body)).toBe(true);
    const byAddress = await get(new URL(`https://127.0.0.1:${port}/x`), pool);
    expect((await readAll(byAddress)).length).toBe(body.length);
    await expect(get(new URL(`https://localhost:${port}/x`), newPool())).rejects.toThrow(/self-signed/);
  });
});
