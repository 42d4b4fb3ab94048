import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.js";
import { makeApp, makeDirs, png, type TestDirs } from "./helpers.js";
import { answer, fail, startStandIn, type Reply } from "./stand-in.js";

const KEY = "sk-test-9f8e7d6c5b4a39281706abcd";

let dirs: TestDirs;
let lora: ReturnType<typeof makeApp>;
let standIn: Awaited<ReturnType<typeof startStandIn>> | null = null;
const catsDir = () => path.join(dirs.datasetsDir, "cats");

beforeEach(async () => {
  dirs = await makeDirs();
  lora = makeApp(dirs, {
    retryPolicy: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3, timeoutMs: 5000 },
  });
  await request(lora.app).post("/api/datasets").send({ name: "cats" }).expect(201);
});

afterEach(async () => {
  await lora.shutdown();
  await standIn?.close();
  standIn = null;
  await dirs.cleanup();
});

async function images(count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `img_${String(i + 1).padStart(2, "0")}.png`);
  for (const [i, name] of names.entries()) await writeFile(path.join(catsDir(), name), await png(20 + i, 20));
  return names;
}

async function useStandIn(reply: Reply, concurrency = 2): Promise<void> {
  standIn = await startStandIn(reply);
  await request(lora.app)
    .post("/api/settings")
    .send({ base_url: `${standIn.url}/v1/`, model: "vision-test", api_key: KEY, concurrency })
    .expect(200);
}

async function start(body: object = {}) {
  return await request(lora.app).post("/api/datasets/cats/autocaption").send(body);
}

async function finished() {
  return await waitFor(
    async () => {
      const { body } = await request(lora.app).get("/api/datasets/cats/autocaption");
      return body.run && !["running", "cancelling"].includes(body.run.state) ? body.run : null;
    },
    { what: "the auto-caption run to end", timeoutMs: 15_000, intervalMs: 20 },
  );
}

async function captionOf(image: string): Promise<string | null> {
  const file = path.join(catsDir(), image.replace(/\.png$/, ".txt"));
  return existsSync(file) ? await readFile(file, "utf8") : null;
}

describe("auto-caption", () => {
  it("captions uncaptioned images through the endpoint, skipping captioned ones", async () => {
    const names = await images(3);
    await writeFile(path.join(catsDir(), "img_02.txt"), "hand written caption");
    await useStandIn((seen, res) => answer(res, `  "a cat number ${seen.index}"\n`));

    const started = await start({ subject: "style", style: "sdxl", trigger_word: "ohwx" });
    expect(started.status).toBe(202);
    expect(started.body.run).toMatchObject({ dataset: "cats", state: "running", total: 3, skipped: 1 });
    const run = await finished();
    expect(run).toMatchObject({
      state: "done",
      total: 3,
      done: 3,
      captioned: 2,
      skipped: 1,
      failed: 0,
      errors: [],
    });
    expect(run.message).toBe("2 captioned, 1 skipped.");

    expect(await captionOf("img_02.png")).toBe("hand written caption");
    for (const name of [names[0], names[2]] as string[]) {
      expect(await captionOf(name)).toMatch(/^ohwx, a cat number \d$/);
    }
    expect(standIn?.requests).toHaveLength(2);
    const seen = standIn?.requests[0];
    expect(seen?.url).toBe("/v1/chat/completions");
    expect(seen?.authorization).toBe(`Bearer ${KEY}`);
    expect(seen?.body.model).toBe("vision-test");
    const parts = seen?.body.messages?.[0]?.content ?? [];
    expect(parts.find((part) => part.type === "text")?.text).toMatch(/comma/);
    expect(parts.find((part) => part.type === "image_url")?.image_url?.url).toMatch(
      /^data:image\/jpeg;base64,\/9j\//,
    );
  });

  it("overwrites existing captions when asked, with a custom prompt", async () => {
    await images(2);
    await writeFile(path.join(catsDir(), "img_01.txt"), "old");
    await useStandIn((_seen, res) => answer(res, "a new caption"));
    await start({ overwrite: true, prompt: "Describe it in five words." }).then((r) =>
      expect(r.status).toBe(202),
    );
    const run = await finished();
    expect(run).toMatchObject({ captioned: 2, skipped: 0 });
    expect(await captionOf("img_01.png")).toBe("a new caption");
    expect(standIn?.requests[0]?.body.messages?.[0]?.content[0]?.text).toBe("Describe it in five words.");
  });

  it("treats a caption holding only the trigger word as uncaptioned", async () => {
    await images(1);
    await writeFile(path.join(catsDir(), "img_01.txt"), "ohwx");
    await useStandIn((_seen, res) => answer(res, "a cat"));
    await start({ trigger_word: "ohwx" });
    expect(await finished()).toMatchObject({ captioned: 1, skipped: 0 });
    expect(await captionOf("img_01.png")).toBe("ohwx, a cat");
  });

  it("waits as long as Retry-After asks after a 429, then succeeds", async () => {
    await images(1);
    await useStandIn((seen, res) =>
      seen.index === 0 ? fail(res, 429, "slow down", { "Retry-After": "1" }) : answer(res, "patient cat"),
    );
    await start();
    const run = await finished();
    expect(run).toMatchObject({ state: "done", captioned: 1, failed: 0, retries: 1 });
    const [first, second] = standIn?.requests ?? [];
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(await captionOf("img_01.png")).toBe("patient cat");
  });

  it("retries a 500 and succeeds", async () => {
    await images(1);
    await useStandIn((seen, res) =>
      seen.index < 2 ? fail(res, 503, "overloaded") : answer(res, "third time lucky"),
    );
    await start();
    expect(await finished()).toMatchObject({ state: "done", captioned: 1, retries: 2 });
    expect(standIn?.requests).toHaveLength(3);
    expect(await captionOf("img_01.png")).toBe("third time lucky");
  });

  it("gives up cleanly on a 500 that persists: the image is listed as failed, nothing written", async () => {
    await images(2);
    await useStandIn((_seen, res) => fail(res, 500, `internal error for key ${KEY}`));
    await start();
    const run = await finished();
    expect(run).toMatchObject({ state: "done", captioned: 0, failed: 2, retries: 4 });
    expect(run.message).toBe("0 captioned, 0 skipped, 2 failed.");
    expect(run.errors).toHaveLength(2);
    expect(run.errors[0].message).toBe("The endpoint answered 500 Internal Server Error.");
    expect(JSON.stringify(run)).not.toContain(KEY);
    expect(standIn?.requests).toHaveLength(6);
    expect((await readdir(catsDir())).filter((name) => !name.endsWith(".png"))).toEqual([]);
    expect(lora.lines.join("")).not.toContain(KEY);
  });

  it("stops the whole run on 401 without retrying", async () => {
    await images(4);
    await useStandIn((_seen, res) => fail(res, 401, "Incorrect API key provided"), 1);
    await start();
    const run = await finished();
    expect(run.state).toBe("failed");
    expect(run.message).toBe("Stopped: The endpoint answered 401 Unauthorized; check the API key.");
    expect(standIn?.requests).toHaveLength(1);
    expect(run.retries).toBe(0);
  });

  it("quotes no more than the status line of an error answer, whatever its body and reason", async () => {
    await images(3);
    const inside = "internal-admin-panel: db_password=hunter2";
    let answered = 0;
    await useStandIn((_seen, res) => {
      const index = answered++;
      if (index === 0) {
        res.writeHead(404, `Not Found ${inside}`, { "Content-Type": "text/html" });
        res.end(`<html><body>${inside}</body></html>`);
      } else if (index === 1) {
        res.writeHead(400, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { message: inside } }));
      } else {
        res.writeHead(422, { "Content-Type": "text/plain" });
        res.end(inside);
      }
    }, 1);
    await start();
    const run = await finished();
    expect(run.state).toBe("failed");
    expect(run.errors.map((error: { message: string }) => error.message)).toEqual([
      "The endpoint answered 404 Not Found; check the base URL and the model name.",
    ]);
    expect(JSON.stringify(run)).not.toContain("hunter2");
    expect(lora.lines.join("")).not.toContain("hunter2");

    await start({ overwrite: true });
    const second = await finished();
    expect(second.errors.map((error: { message: string }) => error.message)).toEqual([
      "The endpoint answered 400 Bad Request.",
      "The endpoint answered 422 Unprocessable Entity.",
      "The endpoint answered 422 Unprocessable Entity.",
    ]);
    expect(JSON.stringify(second)).not.toContain("hunter2");
    expect(lora.lines.join("")).not.toContain("hunter2");
  });

  it("sends no key to an endpoint chosen after the key was saved", async () => {
    await images(1);
    await request(lora.app)
      .post("/api/settings")
      .send({ base_url: "https://api.openai.com/v1", model: "gpt-4o-mini", api_key: KEY })
      .expect(200);
    standIn = await startStandIn((_seen, res) => answer(res, "a cat"));
    await request(lora.app)
      .post("/api/settings")
      .send({ base_url: `${standIn.url}/v1` })
      .expect(200);
    await start();
    expect(await finished()).toMatchObject({ state: "done", captioned: 1 });
    expect(standIn.requests).toHaveLength(1);
    expect(standIn.requests[0]?.authorization).toBeUndefined();
  });

  it("keeps to the concurrency limit with slow answers", async () => {
    await images(5);
    await useStandIn(async (_seen, res) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      answer(res, "slow cat");
    }, 2);
    await start();
    expect(await finished()).toMatchObject({ state: "done", captioned: 5 });
    expect(standIn?.maxInFlight).toBe(2);
  });

  it("fails an image whose answer takes longer than the timeout", async () => {
    lora = makeApp(dirs, { retryPolicy: { timeoutMs: 200, maxAttempts: 1 } });
    await images(1);
    await useStandIn(async (_seen, res, closed) => {
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (!res.destroyed) answer(res, "too late");
    });
    await start();
    const run = await finished();
    expect(run).toMatchObject({ state: "done", failed: 1 });
    expect(run.errors[0].message).toMatch(/did not answer within/);
    expect(await captionOf("img_01.png")).toBeNull();
  });

  it("cancels mid-run: requests in flight are aborted and no caption is half-written", async () => {
    const names = await images(6);
    await useStandIn(async (seen, res, closed) => {
      if (seen.index === 0) return answer(res, "the only finished caption");
      await closed; // held until the client gives up
    }, 2);
    await start();
    await waitFor(
      async () => {
        const { body } = await request(lora.app).get("/api/datasets/cats/autocaption");
        return body.run.captioned === 1 && standIn?.inFlight === 2;
      },
      { what: "one caption done and two requests held" },
    );

    const cancelled = await request(lora.app).post("/api/datasets/cats/autocaption/cancel").send({});
    expect(cancelled.status).toBe(200);
    expect(["cancelling", "cancelled"]).toContain(cancelled.body.run.state);
    const run = await finished();
    expect(run).toMatchObject({ state: "cancelled", captioned: 1, failed: 0 });
    await waitFor(() => standIn?.aborted === 2, { what: "both held requests to be aborted" });
    expect(standIn?.requests).toHaveLength(3);

    const written = (await Promise.all(names.map(captionOf))).filter((text) => text !== null);
    expect(written).toEqual(["the only finished caption"]);
    expect((await readdir(catsDir())).filter((name) => name.startsWith("."))).toEqual([]);

    // A new run may start after a cancel.
    expect((await start()).status).toBe(202);
    await request(lora.app).post("/api/datasets/cats/autocaption/cancel").send({}).expect(200);
    await finished();
  });

  it("refuses a second run, renaming and set-wide edits while a run is going", async () => {
    await images(2);
    await useStandIn(async (_seen, _res, closed) => await closed, 1);
    await start();
    expect((await start()).status).toBe(409);
    expect((await request(lora.app).post("/api/datasets/cats/rename").send({ name: "dogs" })).status).toBe(
      409,
    );
    expect((await request(lora.app).post("/api/datasets/cats/delete").send({})).status).toBe(409);
    const trigger = await request(lora.app).post("/api/datasets/cats/trigger").send({ trigger_word: "x" });
    expect(trigger.status).toBe(409);
    expect(trigger.body.message).toMatch(/Auto-caption is running/);
    await request(lora.app).post("/api/datasets/cats/autocaption/cancel").send({}).expect(200);
    await finished();
  });

  it("answers 404 to a cancel with no run and to an unknown dataset, 400 to unknown presets", async () => {
    expect((await request(lora.app).post("/api/datasets/cats/autocaption/cancel").send({})).status).toBe(404);
    expect((await request(lora.app).post("/api/datasets/dogs/autocaption").send({})).status).toBe(404);
    const bad = await start({ subject: "landscape" });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/subject/);
  });

  it("lists the prompt presets for identity, style and object LoRAs in SDXL and Flux styles", async () => {
    const { body } = await request(lora.app).get("/api/presets");
    expect(body.subjects.map((s: { id: string }) => s.id)).toEqual(["identity", "style", "object"]);
    expect(body.styles.map((s: { id: string }) => s.id)).toEqual(["flux", "sdxl"]);
    expect(Object.keys(body.prompts)).toHaveLength(6);
    expect(body.prompts["identity:flux"]).toMatch(/sentences/);
  });
});
