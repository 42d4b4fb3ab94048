import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  DownloadError,
  NotEnoughSpaceError,
  downloadFiles,
  downloadSets,
  isAbortError,
  type DownloadProgress,
} from "../../server/models/downloader.js";
import { readSizeCache } from "../../server/models/sizeCache.js";
import { waitFor } from "../helpers/wait.js";
import { generateContent, sha256 } from "./fileServer.js";
import { allFiles, exists, useHarness } from "./harness.js";

const MB = 1024 * 1024;
const HF_TOKEN = "hf_SecretTokenValue_1234567890";
const CIVITAI_TOKEN = "civitai_Secret_0987654321";
const h = useHarness();

function rangeStart(range: string | undefined): number {
  const m = /^bytes=(\d+)-$/.exec(range ?? "");
  if (!m) throw new Error(`not an open range: ${range}`);
  return Number(m[1]);
}

describe("downloadSets", () => {
  it("downloads a whole file, verifies it, logs progress and reports per-set progress", async () => {
    const data = generateContent("whole", 16 * MB);
    // Slow enough for progress lines at the harness's 20 ms log interval.
    h.hf.add("/m/whole.bin", data, { rate: 64 * MB });
    const progress: DownloadProgress[] = [];
    const summary = await downloadSets(
      [
        {
          id: "set-a",
          name: "Set A",
          files: [h.item(h.hf, "/m/whole.bin", "ComfyUI/models/vae/whole.bin", sha256(data))],
        },
      ],
      h.options({ onProgress: (p) => progress.push(p) }),
    );
    expect(summary).toEqual({ files: 1, downloaded: 1, skipped: 0, bytesReceived: data.length });
    expect(sha256(await h.readWs("ComfyUI/models/vae/whole.bin"))).toBe(sha256(data));
    expect(await exists(path.join(h.ws, "ComfyUI/models/vae/whole.bin.part"))).toBe(false);
    expect(await readSizeCache(h.state)).toEqual({ [h.hf.url("/m/whole.bin")]: data.length });

    expect(
      h.logs.some((l) => /ComfyUI\/models\/vae\/whole\.bin: +\d+\.\d% +.* \/ 16\.8 MB +.*\/s/.test(l)),
    ).toBe(true);
    expect(h.logs).toContainEqual(
      expect.stringMatching(/^Done ComfyUI\/models\/vae\/whole\.bin: 16\.8 MB .*checksum OK/),
    );
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({
      id: "set-a",
      name: "Set A",
      doneBytes: data.length,
      totalBytes: data.length,
      filesDone: 1,
      filesTotal: 1,
      filesFailed: 0,
      finished: true,
    });
    expect(progress.some((p) => p.doneBytes > 0 && p.doneBytes < data.length)).toBe(true);
  });

  it("resumes after a dropped connection and fetches only the rest", async () => {
    const data = generateContent("drop", 12 * MB);
    h.hf.add("/drop.bin", data, { drop: { afterBytes: 5 * MB, times: 1 } });
    await downloadFiles([h.item(h.hf, "/drop.bin", "m/drop.bin", sha256(data))], h.options());
    expect(sha256(await h.readWs("m/drop.bin"))).toBe(sha256(data));
    const gets = h.hf.requestsFor("/drop.bin", "GET");
    expect(gets).toHaveLength(2);
    expect(gets[0]?.range).toBeUndefined();
    const start = rangeStart(gets[1]?.range);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(5 * MB);
    expect(gets[1]?.status).toBe(206);
    expect(gets[1]?.bytesSent).toBe(data.length - start);
    expect(h.logs).toContainEqual(expect.stringMatching(/trying again/));
    expect(h.logs).toContainEqual(expect.stringMatching(/^Resuming m\/drop\.bin/));
  });

  it("resumes a .part left by an earlier run and hashes the whole file", async () => {
    const data = generateContent("part", 10 * MB);
    h.hf.add("/part.bin", data);
    await fs.mkdir(path.join(h.ws, "m"), { recursive: true });
    await fs.writeFile(path.join(h.ws, "m/part.bin.part"), data.subarray(0, 3 * MB));
    await downloadFiles([h.item(h.hf, "/part.bin", "m/part.bin", sha256(data))], h.options());
    expect(sha256(await h.readWs("m/part.bin"))).toBe(sha256(data));
    const gets = h.hf.requestsFor("/part.bin", "GET");
    expect(gets.map((g) => g.range)).toEqual([`bytes=${3 * MB}-`]);
    expect(gets[0]?.bytesSent).toBe(data.length - 3 * MB);
  });

  it("skips a complete file without a GET", async () => {
    const data = generateContent("done", 8 * MB);
    h.hf.add("/done.bin", data);
    await fs.mkdir(path.join(h.ws, "m"), { recursive: true });
    await fs.writeFile(path.join(h.ws, "m/done.bin"), data);
    const summary = await downloadFiles([h.item(h.hf, "/done.bin", "m/done.bin", sha256(data))], h.options());
    expect(summary).toMatchObject({ downloaded: 0, skipped: 1, bytesReceived: 0 });
    expect(h.hf.requests).toEqual([]);
    expect(await readSizeCache(h.state)).toEqual({ [h.hf.url("/done.bin")]: data.length });
  });

  it("downloads a file again when its size on disk differs from the known size", async () => {
    const data = generateContent("changed", 8 * MB);
    h.hf.add("/changed.bin", data);
    await fs.mkdir(path.join(h.ws, "m"), { recursive: true });
    await fs.writeFile(path.join(h.ws, "m/changed.bin"), data.subarray(0, MB));
    await fs.mkdir(path.join(h.state, "models"), { recursive: true });
    await fs.writeFile(
      path.join(h.state, "models/sizes.json"),
      JSON.stringify({ [h.hf.url("/changed.bin")]: data.length }),
    );
    await downloadFiles([h.item(h.hf, "/changed.bin", "m/changed.bin")], h.options());
    expect(sha256(await h.readWs("m/changed.bin"))).toBe(sha256(data));
    expect(h.hf.requestsFor("/changed.bin", "GET")).toHaveLength(1);
  });

  it("starts over when the file on the server changed size since the .part was started", async () => {
    const data = generateContent("new version", 8 * MB);
    h.hf.add("/v.bin", data);
    await fs.mkdir(path.join(h.ws, "m"), { recursive: true });
    await fs.writeFile(path.join(h.ws, "m/v.bin.part"), generateContent("old version", 3 * MB));
    await fs.mkdir(path.join(h.state, "models"), { recursive: true });
    await fs.writeFile(
      path.join(h.state, "models/sizes.json"),
      JSON.stringify({ [h.hf.url("/v.bin")]: 6 * MB }),
    );
    await downloadFiles([h.item(h.hf, "/v.bin", "m/v.bin")], h.options());
    expect(h.hf.requestsFor("/v.bin", "GET").map((g) => g.range)).toEqual([`bytes=${3 * MB}-`, undefined]);
    expect(sha256(await h.readWs("m/v.bin"))).toBe(sha256(data));
    expect(h.logs).toContainEqual(expect.stringMatching(/changed size; starting m\/v\.bin over/));
  });

  it("fails a file whose checksum does not match, leaves no DEST, and still downloads the others", async () => {
    const bad = generateContent("bad", 8 * MB);
    const good = generateContent("good", 8 * MB);
    h.hf.add("/bad.bin", bad);
    h.hf.add("/good.bin", good);
    const run = downloadFiles(
      [
        h.item(h.hf, "/bad.bin", "m/bad.bin", "0".repeat(64)),
        h.item(h.hf, "/good.bin", "m/good.bin", sha256(good)),
      ],
      h.options(),
    );
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toMatch(/1 of 2 files failed/);
    expect((error as DownloadError).failures).toEqual([
      expect.objectContaining({ relDest: "m/bad.bin", message: expect.stringMatching(/checksum mismatch/) }),
    ]);
    expect(await exists(path.join(h.ws, "m/bad.bin"))).toBe(false);
    expect(await exists(path.join(h.ws, "m/bad.bin.part"))).toBe(false);
    expect(h.hf.requestsFor("/bad.bin", "GET")).toHaveLength(1);
    expect(sha256(await h.readWs("m/good.bin"))).toBe(sha256(good));
  });

  it("retries a 500 and a 429 and then succeeds", async () => {
    const data = generateContent("flaky", 8 * MB);
    h.hf.add("/flaky.bin", data, { fail: { status: 500, times: 2 } });
    h.hf.add("/busy.bin", data, { fail: { status: 429, times: 1 } });
    await downloadFiles(
      [h.item(h.hf, "/flaky.bin", "m/flaky.bin"), h.item(h.hf, "/busy.bin", "m/busy.bin")],
      h.options(),
    );
    expect(h.hf.requestsFor("/flaky.bin", "GET").map((r) => r.status)).toEqual([500, 500, 200]);
    expect(h.hf.requestsFor("/busy.bin", "GET").map((r) => r.status)).toEqual([429, 200]);
    expect(sha256(await h.readWs("m/flaky.bin"))).toBe(sha256(data));
    expect(h.logs).toContainEqual(expect.stringMatching(/HTTP 500; trying again/));
  });

  it("fails a 404 without retrying", async () => {
    h.hf.add("/gone.bin", generateContent("gone", MB), { fail: { status: 404, times: 99 } });
    h.hf.add("/nothing.bin", undefined, { status: 404 });
    const error = await downloadFiles(
      [h.item(h.hf, "/gone.bin", "m/gone.bin"), h.item(h.hf, "/nothing.bin", "m/nothing.bin")],
      h.options(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).failures.map((f) => f.message)).toEqual([
      expect.stringMatching(/not found \(HTTP 404\)/),
      expect.stringMatching(/not found \(HTTP 404\)/),
    ]);
    expect(h.hf.requestsFor("/gone.bin", "GET")).toHaveLength(1);
    expect(h.hf.requestsFor("/nothing.bin", "HEAD")).toHaveLength(1);
    expect(h.hf.requestsFor("/nothing.bin", "GET")).toHaveLength(0);
  });

  it("sends each token only to its own host: not to a redirect target, not to another host", async () => {
    const gated = generateContent("gated", 8 * MB);
    const civFile = generateContent("civ", 8 * MB);
    const plain = generateContent("plain", 8 * MB);
    h.hf.add("/gated.bin", gated, { requireToken: HF_TOKEN, redirectTo: h.cdn.url(""), linkedSize: true });
    h.cdn.add("/gated.bin", gated);
    h.civ.add("/h.civ.bin", civFile, { requireToken: CIVITAI_TOKEN });
    h.cdn.add("/plain.bin", plain);
    await downloadFiles(
      [
        h.item(h.hf, "/gated.bin", "ComfyUI/models/checkpoints/gated.bin", sha256(gated)),
        h.item(h.civ, "/h.civ.bin", "ComfyUI/models/loras/h.civ.bin", sha256(civFile)),
        h.item(h.cdn, "/plain.bin", "ComfyUI/models/vae/plain.bin", sha256(plain)),
      ],
      h.options({ tokens: { hf: HF_TOKEN, civitai: CIVITAI_TOKEN } }),
    );
    expect(sha256(await h.readWs("ComfyUI/models/checkpoints/gated.bin"))).toBe(sha256(gated));
    expect(sha256(await h.readWs("ComfyUI/models/loras/h.civ.bin"))).toBe(sha256(civFile));
    expect(sha256(await h.readWs("ComfyUI/models/vae/plain.bin"))).toBe(sha256(plain));

    expect(h.hf.requests.length).toBeGreaterThanOrEqual(2);
    expect(h.hf.requests.every((r) => r.authorization === `Bearer ${HF_TOKEN}`)).toBe(true);
    expect(h.civ.requests.length).toBeGreaterThanOrEqual(1);
    expect(h.civ.requests.every((r) => r.authorization === `Bearer ${CIVITAI_TOKEN}`)).toBe(true);
    expect(h.cdn.requestsFor("/gated.bin", "GET")).toHaveLength(1);
    expect(h.cdn.requests.every((r) => r.authorization === undefined)).toBe(true);

    // The tokens appear in no file under the workspace or the state folder, and in no log line.
    const files = [...(await allFiles(h.ws)), ...(await allFiles(h.state))];
    expect(files).toContain(path.join(h.state, "models/sizes.json"));
    for (const file of files) {
      const text = (await fs.readFile(file)).toString("latin1");
      expect(text.includes(HF_TOKEN) || text.includes(CIVITAI_TOKEN), file).toBe(false);
    }
    const allLogs = h.logs.join("\n");
    expect(allLogs).not.toContain(HF_TOKEN);
    expect(allLogs).not.toContain(CIVITAI_TOKEN);
  });

  it("says which token is missing or refused on 401/403, without echoing the token", async () => {
    h.hf.add("/gated.bin", generateContent("g", MB), { requireToken: HF_TOKEN });
    h.civ.add("/h.civ.bin", generateContent("c", MB), { requireToken: CIVITAI_TOKEN });
    const wrong = "civitai_wrong_token_555";
    const error = await downloadFiles(
      [h.item(h.hf, "/gated.bin", "m/gated.bin"), h.item(h.civ, "/h.civ.bin", "m/h.civ.bin")],
      h.options({ tokens: { civitai: wrong } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    const [gatedFailure, civFailure] = (error as DownloadError).failures;
    expect(gatedFailure?.message).toMatch(/needs a Hugging Face token: the model is gated/);
    expect(civFailure?.message).toMatch(/the Civitai token was refused/);
    expect((error as Error).message).not.toContain(wrong);
    expect(h.logs.join("\n")).not.toContain(wrong);
    expect(h.hf.requestsFor("/gated.bin", "GET")).toHaveLength(0);
    expect(h.civ.requests.every((r) => r.authorization === `Bearer ${wrong}`)).toBe(true);
  });

  it("refuses to start when the files will not fit on the disk", async () => {
    h.hf.add("/huge.bin", generateContent("huge", 8 * MB));
    const error = await downloadFiles(
      [h.item(h.hf, "/huge.bin", "m/huge.bin")],
      h.options({ freeSpace: () => Promise.resolve(1_000_000) }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotEnoughSpaceError);
    expect((error as Error).message).toMatch(/Not enough disk space .*needs 8\.4 MB, 1\.0 MB free/);
    expect(h.hf.requestsFor("/huge.bin", "GET")).toHaveLength(0);
    expect(await exists(path.join(h.ws, "m/huge.bin.part"))).toBe(false);
  });

  it("counts a resumable .part when checking space, and learns sizes from a Range GET without HEAD", async () => {
    const data = generateContent("nohead", 8 * MB);
    h.hf.add("/nohead.bin", data, { noHead: true });
    await fs.mkdir(path.join(h.ws, "m"), { recursive: true });
    await fs.writeFile(path.join(h.ws, "m/nohead.bin.part"), data.subarray(0, 6 * MB));
    let asked = "";
    await downloadFiles(
      [h.item(h.hf, "/nohead.bin", "m/nohead.bin", sha256(data))],
      h.options({
        freeSpace: (dir) => {
          asked = dir;
          return Promise.resolve(2 * MB + 1);
        },
      }),
    );
    expect(asked).toBe(h.ws);
    expect(h.hf.requestsFor("/nohead.bin", "GET").map((r) => r.range)).toEqual([
      "bytes=0-0",
      `bytes=${6 * MB}-`,
    ]);
    expect(sha256(await h.readWs("m/nohead.bin"))).toBe(sha256(data));
  });

  it("stops promptly on cancel, keeps the .part, and a later run resumes it", async () => {
    const data = generateContent("cancel", 16 * MB);
    h.hf.add("/cancel.bin", data, { stall: { afterBytes: 4 * MB, times: 1 } });
    const files = [h.item(h.hf, "/cancel.bin", "m/cancel.bin", sha256(data))];
    const controller = new AbortController();
    const run = downloadFiles(files, h.options({ signal: controller.signal }));
    const part = path.join(h.ws, "m/cancel.bin.part");
    await waitFor(async () => (await fs.stat(part).catch(() => undefined))?.size === 4 * MB, {
      what: "4 MB in the .part",
    });
    const cancelledAt = Date.now();
    controller.abort();
    const error = await run.catch((e: unknown) => e);
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    expect(isAbortError(error)).toBe(true);
    expect((error as Error).name).toBe("AbortError");
    expect((await fs.stat(part)).size).toBe(4 * MB);
    expect(await exists(path.join(h.ws, "m/cancel.bin"))).toBe(false);

    await downloadFiles(files, h.options());
    const gets = h.hf.requestsFor("/cancel.bin", "GET");
    expect(gets.map((g) => g.range)).toEqual([undefined, `bytes=${4 * MB}-`]);
    expect(gets[1]?.bytesSent).toBe(data.length - 4 * MB);
    expect(sha256(await h.readWs("m/cancel.bin"))).toBe(sha256(data));
  });

  it("rejects at once when the signal is already aborted", async () => {
    h.hf.add("/x.bin", generateContent("x", MB));
    const controller = new AbortController();
    controller.abort();
    const error = await downloadFiles(
      [h.item(h.hf, "/x.bin", "m/x.bin")],
      h.options({ signal: controller.signal }),
    ).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(h.hf.requests).toEqual([]);
  });

  it("starts over when the server answers 200 to a Range request", async () => {
    const data = generateContent("norange", 8 * MB);
    h.hf.add("/norange.bin", data, { ignoreRange: true });
    await fs.mkdir(path.join(h.ws, "m"), { recursive: true });
    await fs.writeFile(path.join(h.ws, "m/norange.bin.part"), Buffer.alloc(2 * MB, 7));
    await downloadFiles([h.item(h.hf, "/norange.bin", "m/norange.bin", sha256(data))], h.options());
    const gets = h.hf.requestsFor("/norange.bin", "GET");
    expect(gets.map((g) => [g.range, g.status])).toEqual([[`bytes=${2 * MB}-`, 200]]);
    expect(sha256(await h.readWs("m/norange.bin"))).toBe(sha256(data));
    expect(h.logs).toContainEqual(expect.stringMatching(/does not resume m\/norange\.bin; starting it over/));
  });

  it("drops a connection that goes quiet and resumes it", async () => {
    const data = generateContent("quiet", 8 * MB);
    h.hf.add("/quiet.bin", data, { stall: { afterBytes: 3 * MB, times: 1 } });
    await downloadFiles(
      [h.item(h.hf, "/quiet.bin", "m/quiet.bin", sha256(data))],
      h.options({ idleTimeoutMs: 500 }),
    );
    expect(h.hf.requestsFor("/quiet.bin", "GET").map((g) => g.range)).toEqual([
      undefined,
      `bytes=${3 * MB}-`,
    ]);
    expect(sha256(await h.readWs("m/quiet.bin"))).toBe(sha256(data));
    expect(h.logs).toContainEqual(
      expect.stringMatching(/m\/quiet\.bin: no data from 127\.0\.0\.1:\d+ for 1 s; trying again/),
    );
  });

  it("fetches a file shared by two sets once and reports both sets complete", async () => {
    const shared = generateContent("shared", 8 * MB);
    const own = generateContent("own", 8 * MB);
    h.hf.add("/shared.bin", shared);
    h.hf.add("/own.bin", own);
    const last = new Map<string, DownloadProgress>();
    await downloadSets(
      [
        { id: "one", name: "One", files: [h.item(h.hf, "/shared.bin", "m/shared.bin")] },
        {
          id: "two",
          name: "Two",
          files: [h.item(h.hf, "/shared.bin", "m/shared.bin"), h.item(h.hf, "/own.bin", "m/own.bin")],
        },
      ],
      h.options({ onProgress: (p) => last.set(p.id, p), concurrency: 2 }),
    );
    expect(h.hf.requestsFor("/shared.bin", "GET")).toHaveLength(1);
    expect(last.get("one")).toMatchObject({
      filesDone: 1,
      filesTotal: 1,
      doneBytes: shared.length,
      finished: true,
    });
    expect(last.get("two")).toMatchObject({
      filesDone: 2,
      filesTotal: 2,
      doneBytes: shared.length + own.length,
      totalBytes: shared.length + own.length,
      finished: true,
    });
  });

  it("refuses a DEST outside the workspace and a URL that carries a credential", async () => {
    h.hf.add("/x.bin", generateContent("x", MB));
    const error = await downloadFiles(
      [
        { url: h.hf.url("/x.bin"), dest: path.join(h.root, "outside.bin") },
        { url: `${h.hf.url("/x.bin")}?token=embedded_secret_42`, dest: path.join(h.ws, "m/x.bin") },
      ],
      h.options(),
    ).catch((e: unknown) => e);
    expect((error as DownloadError).failures.map((f) => f.message)).toEqual([
      expect.stringMatching(/outside the workspace/),
      expect.stringMatching(/must not carry a credential/),
    ]);
    expect(h.hf.requests).toEqual([]);
    expect(h.logs.join("\n")).not.toContain("embedded_secret_42");
    expect((error as Error).message).not.toContain("embedded_secret_42");
  });
});
