/** A stand-in OpenAI-compatible chat endpoint for the auto-caption tests, scripted per request. */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  index: number;
  at: number;
  url: string;
  authorization: string | undefined;
  body: {
    model?: string;
    messages?: { role: string; content: { type: string; text?: string; image_url?: { url: string } }[] }[];
  };
}

export type Reply = (
  seen: SeenRequest,
  res: http.ServerResponse,
  closed: Promise<void>,
) => void | Promise<void>;

export function answer(res: http.ServerResponse, content: string): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(
    JSON.stringify({
      id: "x",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content } }],
    }),
  );
}

export function fail(
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { message, type: "test" } }));
}

export async function startStandIn(reply: Reply) {
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let aborted = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const seen: SeenRequest = {
        index: requests.length,
        at: Date.now(),
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as SeenRequest["body"],
      };
      requests.push(seen);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const closed = new Promise<void>((resolve) =>
        res.on("close", () => {
          inFlight--;
          if (!res.writableFinished) aborted++;
          resolve();
        }),
      );
      void Promise.resolve(reply(seen, res, closed)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get aborted() {
      return aborted;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
