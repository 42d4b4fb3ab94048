/** The kit's stop ladder on a real HTTP server: stop listening, let requests finish within the time, cut the rest. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { drainable } from "@comfystudio/kit/shutdown";
import { describe, expect, it } from "vitest";
import { isListening } from "../helpers/ports.js";

/** A server whose handler is `handler`; `arrived` resolves when the first request reaches it. */
async function serve(handler: http.RequestListener) {
  let arrive: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const server = http.createServer((req, res) => {
    arrive();
    handler(req, res);
  });
  const drain = drainable(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, drain, arrived, port: (server.address() as AddressInfo).port };
}

describe("drainable", () => {
  it("lets a request in flight finish and closes its keep-alive connection right after", async () => {
    let release: () => void = () => undefined;
    const { drain, arrived, port } = await serve((_req, res) => {
      release = () => res.end("done");
    });
    const agent = new http.Agent({ keepAlive: true });
    const answered = new Promise<string>((resolve, reject) => {
      http
        .get({ port, host: "127.0.0.1", agent }, (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve(text));
        })
        .on("error", reject);
    });
    await arrived;
    // A long allowance: the drain must end when the connection closes, not at the deadline.
    const stopped = drain({ drainMs: 60_000 });
    expect(await isListening(port)).toBe(false);
    release();
    expect(await answered).toBe("done");
    expect(await stopped).toBe(true);
    agent.destroy();
  });

  it("cuts a request that does not finish in time, and waits for work alongside within the same time", async () => {
    const { drain, arrived, port } = await serve(() => undefined);
    const cut = new Promise<string>((resolve) => {
      http
        .get({ port, host: "127.0.0.1" })
        .on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? ""));
    });
    await arrived;
    let sideWorkDone = false;
    const sideWork = new Promise<void>((resolve) =>
      setTimeout(() => {
        sideWorkDone = true;
        resolve();
      }, 20),
    );
    expect(await drain({ drainMs: 300, alongside: [sideWork] })).toBe(false);
    expect(sideWorkDone).toBe(true);
    expect(await cut).toBe("ECONNRESET");
  });
});
