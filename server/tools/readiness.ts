/**
 * Readiness: GET a path on a tool's loopback port until it answers as its registry entry asks.
 *
 * Until the tool listens at all, the studio only tries a TCP connect every `listenCheckMs` (a refused
 * connect costs about a sixth of an HTTP probe's CPU); the HTTP probe starts once the port is open. So a
 * tool that takes minutes to start costs about 1 % of a core, and its readiness is seen within a few tens
 * of ms of its port answering.
 */
import http from "node:http";
import net from "node:net";

/** One readiness probe: GET http://127.0.0.1:{port}{path}; true when the answer is acceptable. */
export function probe(
  port: number,
  urlPath: string,
  accept: "ok" | "any",
  timeoutMs = 1_000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: "127.0.0.1", port, path: urlPath, agent: false, timeout: timeoutMs },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(accept === "ok" ? status === 200 : status > 0 && status < 500);
      },
    );
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function isPortTaken(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1", timeout: timeoutMs });
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

/** A free port on 127.0.0.1, chosen by the kernel. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
