/** The pages' JSON client, against a real HTTP server (Node's fetch is the browser's). */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, jsonClient, messageOf } from "@comfystudio/kit/web/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: http.Server;
let base: string;
const seen: { method: string; type: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", type: req.headers["content-type"], body });
      const reply = (status: number, payload: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(payload);
      };
      if (req.url === "/ok") reply(200, JSON.stringify({ success: true, value: 7 }));
      else if (req.url === "/refused")
        reply(409, JSON.stringify({ success: false, message: "It is taken." }));
      else if (req.url === "/soft") reply(200, JSON.stringify({ success: false, message: "Not now." }));
      else if (req.url === "/login") reply(401, "");
      else if (req.url === "/html") reply(502, "<html>bad gateway</html>", { "Content-Type": "text/html" });
      else if (req.url === "/clock")
        reply(200, "{}", { Date: new Date(Date.now() + 3_600_000).toUTCString() });
      else reply(200, "not json");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => await new Promise((resolve) => server.close(resolve)));

async function failure(run: () => Promise<unknown>): Promise<ApiError> {
  const error = await run().then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("jsonClient", () => {
  const api = jsonClient("the test server");

  it("gets and posts JSON", async () => {
    expect(await api.getJson(`${base}/ok`)).toEqual({ success: true, value: 7 });
    await api.postJson(`${base}/ok`, { name: "cats" });
    expect(seen.at(-1)).toEqual({ method: "POST", type: "application/json", body: '{"name":"cats"}' });
  });

  it("turns every failure into a sentence, the server's own message first", async () => {
    const refused = await failure(() => api.postJson(`${base}/refused`));
    expect([refused.status, refused.message, refused.body]).toEqual([
      409,
      "It is taken.",
      { success: false, message: "It is taken." },
    ]);
    expect((await failure(() => api.getJson(`${base}/soft`))).message).toBe("Not now.");
    expect((await failure(() => api.getJson(`${base}/login`))).message).toMatch(/log in again/);
    expect((await failure(() => api.getJson(`${base}/html`))).message).toBe(
      "The test server answered 502 Bad Gateway; try again.",
    );
    expect((await failure(() => api.getJson(`${base}/text`))).message).toBe(
      "The test server sent an answer the page could not read; try again.",
    );
    const gone = await failure(() => api.getJson("http://127.0.0.1:1/"));
    expect([gone.status, messageOf(gone)]).toEqual([
      0,
      "The test server could not be reached. Check your connection; the test server may be restarting.",
    ]);
  });

  it("learns the server's clock from a clear difference", async () => {
    await api.getJson(`${base}/clock`);
    expect(api.clock.offsetMs).toBeGreaterThan(3_500_000);
    expect(api.clock.now() - Date.now()).toBeGreaterThan(3_500_000);
    await api.getJson(`${base}/ok`);
    expect(api.clock.offsetMs).toBe(0);
  });
});
