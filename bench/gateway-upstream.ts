/**
 * The tool behind the gateway in bench/gateway.ts, run by the studio as a tool in a process of its own: it
 * listens on $LISTEN_HOST:$PORT and answers
 * - `GET /bytes?size=N`: N bytes, streamed from one 1 MiB block;
 * - `GET /small`: a 64-byte JSON answer;
 * - WebSocket `/echo`: every message back as it came.
 * With PIPE_TO=port it is instead the plainest Node proxy to that port (request and answer piped, nothing
 * else), the reference for what any proxy written in Node costs.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { WebSocketServer } from "ws";

const BLOCK = randomBytes(1024 * 1024);
const SMALL = JSON.stringify({ ok: true, padding: "x".repeat(44) });

function pipeProxy(target: number): http.Server {
  return http.createServer((req, res) => {
    const upstream = http.request(
      { host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
}

const pipeTo = Number(process.env.PIPE_TO ?? 0);
const server =
  pipeTo > 0
    ? pipeProxy(pipeTo)
    : http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://upstream.invalid");
        if (url.pathname === "/bytes") {
          const size = Number(url.searchParams.get("size") ?? 0);
          res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": size });
          let sent = 0;
          const pump = () => {
            while (sent < size) {
              const chunk = BLOCK.subarray(0, Math.min(BLOCK.length, size - sent));
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once("drain", pump);
            }
            res.end();
          };
          res.once("close", () => (sent = size));
          pump();
          return;
        }
        res.writeHead(200, {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(SMALL),
        });
        res.end(SMALL);
      });
if (pipeTo === 0) {
  const sockets = new WebSocketServer({ server, path: "/echo", perMessageDeflate: false });
  sockets.on("connection", (ws) => {
    ws.on("error", () => ws.terminate());
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
}
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), process.env.LISTEN_HOST ?? "127.0.0.1", () =>
  console.log(`bench upstream listening on ${process.env.PORT}`),
);
