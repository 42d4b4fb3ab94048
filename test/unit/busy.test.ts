import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { busyOf, describeBusy } from "../../server/tools/busy.js";
import { findTool } from "../../server/tools/registry.js";

let server: http.Server | undefined;
afterEach(() => server?.close());

/** A tool's loopback port answering `path` with `body` (and recording the headers it got). */
async function answering(
  path: string,
  body: unknown,
): Promise<{ port: number; headers: http.IncomingHttpHeaders[] }> {
  const headers: http.IncomingHttpHeaders[] = [];
  server = http.createServer((req, res) => {
    headers.push(req.headers);
    if (req.url !== path) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, headers };
}

describe("a tool's busy probe", () => {
  it("counts ComfyUI's running and pending prompts, by the artist the gateway put in extra_data", async () => {
    const item = (n: number, artist?: string) => [
      n,
      `id-${n}`,
      {},
      artist ? { studio_artist: artist } : {},
      [],
    ];
    const { port } = await answering("/queue", {
      queue_running: [item(1, "Rosa")],
      queue_pending: [item(2, "Rosa"), item(3, "Karlo"), item(4)],
    });
    const busy = await busyOf(findTool("comfy-ui")!, port);
    expect(busy).toEqual({ count: 4, by: { Rosa: 2, Karlo: 1, someone: 1 } });
    expect(describeBusy(busy!, "prompt")).toBe("4 prompts (2 by Rosa, 1 by Karlo, 1 by someone)");
  });

  it("an empty queue is not busy; a tool that does not answer is unknown", async () => {
    const { port } = await answering("/queue", { queue_running: [], queue_pending: [] });
    expect(await busyOf(findTool("comfy-ui")!, port)).toEqual({ count: 0, by: {} });
    server!.close();
    expect(await busyOf(findTool("comfy-ui")!, port)).toBeNull();
    expect(await busyOf(findTool("lora-tool")!, port)).toBeNull();
  });

  it("counts Jupyter's busy kernels, with the tool's own token", async () => {
    const { port, headers } = await answering("/api/kernels", [
      { id: "a", execution_state: "busy" },
      { id: "b", execution_state: "idle" },
    ]);
    const busy = await busyOf(findTool("jupyter-lab")!, port, { authorization: "token t" });
    expect(busy).toEqual({ count: 1, by: { someone: 1 } });
    expect(headers[0]!.authorization).toBe("token t");
  });
});
