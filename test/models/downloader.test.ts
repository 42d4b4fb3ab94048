import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DownloadError,
  NotEnoughSpaceError,
  downloadFiles,
  downloadSets,
  isAbortError,
  type DownloadItem,
  type DownloadOptions,
  type DownloadProgress,
} from "../../server/models/downloader.js";
import { readSizeCache } from "../../server/models/sizeCache.js";
import { waitFor } from "../helpers/wait.js";
import { TestFileServer, generateContent, sha256 } from "./fileServer.js";

const MB = 1024 * 1024;
const HF_TOKEN = "hf_SecretTokenValue_1234567890";
const CIVITAI_TOKEN = "civitai_Secret_0987654321";

let root: string;
let ws: string;
let state: string;
let hf: TestFileServer; // takes the Hugging Face token
let cdn: TestFileServer; // another host: takes no token
let civ: TestFileServer; // takes the Civitai token
let logs: string[];

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "downloader-"));
  ws = path.join(root, "workspace");
  state = path.join(root, "state");
  await fs.mkdir(ws, { recursive: true });
  [hf, cdn, civ] = await Promise.all([
    TestFileServer.start(),
    TestFileServer.start(),
    TestFileServer.start(),
  ]);
  logs = [];
});

afterEach(async () => {
  await Promise.all([hf.close(), cdn.close(), civ.close()]);
  await fs.rm(root, { recursive: true, force: true });
});

function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    workspaceDir: ws,
    stateDir: state,
    tokens: {},
    signal: new AbortController().signal,
    log: (line) => logs.push(line),
    retries: 3,
    retryBaseMs: 5,
    tokenHosts: { [hf.host]: "hf", [civ.host]: "civitai" },
    logIntervalMs: 20,
    progressIntervalMs: 10,
    ...extra,
  };
}

function item(server: TestFileServer, urlPath: string, rel: string, sha?: string): DownloadItem {
  return { url: server.url(urlPath), dest: path.join(ws, rel), relDest: rel, sha256: sha };
}

async function readWs(rel: string): Promise<Buffer> {
  return await fs.readFile(path.join(ws, rel));
}

async function exists(file: string): Promise<boolean> {
  return await fs.stat(file).then(
    () => true,
    () => false,
  );
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(full)));
    else out.push(full);
  }
  return out;
}

function rangeStart(range: string | undefined): number {
  const m = /^bytes=(\d+)-$/.exec(range ?? "");
  if (!m) throw new Error(`not an open range: ${range}`);
  return Number(m[1]);
}

describe("downloadSets", () => {
  it("downloads a whole file, verifies it, logs progress and reports per-set progress", async () => {
    const data = generateContent("whole", 16 * MB);
    hf.add("/m/whole.bin", data);
    const progress: DownloadProgress[] = [];
    const summary = await downloadSets(
      [
        {
          id: "set-a",
          name: "Set A",
          files: [item(hf, "/m/whole.bin", "ComfyUI/models/vae/whole.bin", sha256(data))],
        },
      ],
      options({ onProgress: (p) => progress.push(p) }),
    );
    expect(summary).toEqual({ files: 1, downloaded: 1, skipped: 0, bytesReceived: data.length });
    expect(sha256(await readWs("ComfyUI/models/vae/whole.bin"))).toBe(sha256(data));
    expect(await exists(path.join(ws, "ComfyUI/models/vae/whole.bin.part"))).toBe(false);
    expect(await readSizeCache(state)).toEqual({ [hf.url("/m/whole.bin")]: data.length });

    expect(
      logs.some((l) => /ComfyUI\/models\/vae\/whole\.bin: +\d+\.\d% +.* \/ 16\.8 MB +.*\/s/.test(l)),
    ).toBe(true);
    expect(logs).toContainEqual(
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
    hf.add("/drop.bin", data, { drop: { afterBytes: 5 * MB, times: 1 } });
    await downloadFiles([item(hf, "/drop.bin", "m/drop.bin", sha256(data))], options());
    expect(sha256(await readWs("m/drop.bin"))).toBe(sha256(data));
    const gets = hf.requestsFor("/drop.bin", "GET");
    expect(gets).toHaveLength(2);
    expect(gets[0]?.range).toBeUndefined();
    const start = rangeStart(gets[1]?.range);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(5 * MB);
    expect(gets[1]?.status).toBe(206);
    expect(gets[1]?.bytesSent).toBe(data.length - start);
    expect(logs).toContainEqual(expect.stringMatching(/trying again/));
    expect(logs).toContainEqual(expect.stringMatching(/^Resuming m\/drop\.bin/));
  });

  it("resumes a .part left by an earlier run and hashes the whole file", async () => {
    const data = generateContent("part", 10 * MB);
    hf.add("/part.bin", data);
    await fs.mkdir(path.join(ws, "m"), { recursive: true });
    await fs.writeFile(path.join(ws, "m/part.bin.part"), data.subarray(0, 3 * MB));
    await downloadFiles([item(hf, "/part.bin", "m/part.bin", sha256(data))], options());
    expect(sha256(await readWs("m/part.bin"))).toBe(sha256(data));
    const gets = hf.requestsFor("/part.bin", "GET");
    expect(gets.map((g) => g.range)).toEqual([`bytes=${3 * MB}-`]);
    expect(gets[0]?.bytesSent).toBe(data.length - 3 * MB);
  });

  it("skips a complete file without a GET", async () => {
    const data = generateContent("done", 8 * MB);
    hf.add("/done.bin", data);
    await fs.mkdir(path.join(ws, "m"), { recursive: true });
    await fs.writeFile(path.join(ws, "m/done.bin"), data);
    const summary = await downloadFiles([item(hf, "/done.bin", "m/done.bin", sha256(data))], options());
    expect(summary).toMatchObject({ downloaded: 0, skipped: 1, bytesReceived: 0 });
    expect(hf.requests).toEqual([]);
    expect(await readSizeCache(state)).toEqual({ [hf.url("/done.bin")]: data.length });
  });

  it("downloads a file again when its size on disk differs from the known size", async () => {
    const data = generateContent("changed", 8 * MB);
    hf.add("/changed.bin", data);
    await fs.mkdir(path.join(ws, "m"), { recursive: true });
    await fs.writeFile(path.join(ws, "m/changed.bin"), data.subarray(0, MB));
    await fs.mkdir(path.join(state, "models"), { recursive: true });
    await fs.writeFile(
      path.join(state, "models/sizes.json"),
      JSON.stringify({ [hf.url("/changed.bin")]: data.length }),
    );
    await downloadFiles([item(hf, "/changed.bin", "m/changed.bin")], options());
    expect(sha256(await readWs("m/changed.bin"))).toBe(sha256(data));
    expect(hf.requestsFor("/changed.bin", "GET")).toHaveLength(1);
  });

  it("starts over when the file on the server changed size since the .part was started", async () => {
    const data = generateContent("new version", 8 * MB);
    hf.add("/v.bin", data);
    await fs.mkdir(path.join(ws, "m"), { recursive: true });
    await fs.writeFile(path.join(ws, "m/v.bin.part"), generateContent("old version", 3 * MB));
    await fs.mkdir(path.join(state, "models"), { recursive: true });
    await fs.writeFile(path.join(state, "models/sizes.json"), JSON.stringify({ [hf.url("/v.bin")]: 6 * MB }));
    await downloadFiles([item(hf, "/v.bin", "m/v.bin")], options());
    expect(hf.requestsFor("/v.bin", "GET").map((g) => g.range)).toEqual([`bytes=${3 * MB}-`, undefined]);
    expect(sha256(await readWs("m/v.bin"))).toBe(sha256(data));
    expect(logs).toContainEqual(expect.stringMatching(/changed size; starting m\/v\.bin over/));
  });

  it("fails a file whose checksum does not match, leaves no DEST, and still downloads the others", async () => {
    const bad = generateContent("bad", 8 * MB);
    const good = generateContent("good", 8 * MB);
    hf.add("/bad.bin", bad);
    hf.add("/good.bin", good);
    const run = downloadFiles(
      [item(hf, "/bad.bin", "m/bad.bin", "0".repeat(64)), item(hf, "/good.bin", "m/good.bin", sha256(good))],
      options(),
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
    expect(await exists(path.join(ws, "m/bad.bin"))).toBe(false);
    expect(await exists(path.join(ws, "m/bad.bin.part"))).toBe(false);
    expect(hf.requestsFor("/bad.bin", "GET")).toHaveLength(1);
    expect(sha256(await readWs("m/good.bin"))).toBe(sha256(good));
  });

  it("retries a 500 and a 429 and then succeeds", async () => {
    const data = generateContent("flaky", 8 * MB);
    hf.add("/flaky.bin", data, { fail: { status: 500, times: 2 } });
    hf.add("/busy.bin", data, { fail: { status: 429, times: 1 } });
    await downloadFiles(
      [item(hf, "/flaky.bin", "m/flaky.bin"), item(hf, "/busy.bin", "m/busy.bin")],
      options(),
    );
    expect(hf.requestsFor("/flaky.bin", "GET").map((r) => r.status)).toEqual([500, 500, 200]);
    expect(hf.requestsFor("/busy.bin", "GET").map((r) => r.status)).toEqual([429, 200]);
    expect(sha256(await readWs("m/flaky.bin"))).toBe(sha256(data));
    expect(logs).toContainEqual(expect.stringMatching(/HTTP 500; trying again/));
  });

  it("fails a 404 without retrying", async () => {
    hf.add("/gone.bin", generateContent("gone", MB), { fail: { status: 404, times: 99 } });
    hf.add("/nothing.bin", undefined, { status: 404 });
    const error = await downloadFiles(
      [item(hf, "/gone.bin", "m/gone.bin"), item(hf, "/nothing.bin", "m/nothing.bin")],
      options(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).failures.map((f) => f.message)).toEqual([
      expect.stringMatching(/not found \(HTTP 404\)/),
      expect.stringMatching(/not found \(HTTP 404\)/),
    ]);
    expect(hf.requestsFor("/gone.bin", "GET")).toHaveLength(1);
    expect(hf.requestsFor("/nothing.bin", "HEAD")).toHaveLength(1);
    expect(hf.requestsFor("/nothing.bin", "GET")).toHaveLength(0);
  });

  it("sends each token only to its own host: not to a redirect target, not to another host", async () => {
    const gated = generateContent("gated", 8 * MB);
    const civFile = generateContent("civ", 8 * MB);
    const plain = generateContent("plain", 8 * MB);
    hf.add("/gated.bin", gated, { requireToken: HF_TOKEN, redirectTo: cdn.url(""), linkedSize: true });
    cdn.add("/gated.bin", gated);
    civ.add("/civ.bin", civFile, { requireToken: CIVITAI_TOKEN });
    cdn.add("/plain.bin", plain);
    await downloadFiles(
      [
        item(hf, "/gated.bin", "ComfyUI/models/checkpoints/gated.bin", sha256(gated)),
        item(civ, "/civ.bin", "ComfyUI/models/loras/civ.bin", sha256(civFile)),
        item(cdn, "/plain.bin", "ComfyUI/models/vae/plain.bin", sha256(plain)),
      ],
      options({ tokens: { hf: HF_TOKEN, civitai: CIVITAI_TOKEN } }),
    );
    expect(sha256(await readWs("ComfyUI/models/checkpoints/gated.bin"))).toBe(sha256(gated));
    expect(sha256(await readWs("ComfyUI/models/loras/civ.bin"))).toBe(sha256(civFile));
    expect(sha256(await readWs("ComfyUI/models/vae/plain.bin"))).toBe(sha256(plain));

    expect(hf.requests.length).toBeGreaterThanOrEqual(2);
    expect(hf.requests.every((r) => r.authorization === `Bearer ${HF_TOKEN}`)).toBe(true);
    expect(civ.requests.length).toBeGreaterThanOrEqual(1);
    expect(civ.requests.every((r) => r.authorization === `Bearer ${CIVITAI_TOKEN}`)).toBe(true);
    expect(cdn.requestsFor("/gated.bin", "GET")).toHaveLength(1);
    expect(cdn.requests.every((r) => r.authorization === undefined)).toBe(true);

    // The tokens appear in no file under the workspace or the state folder, and in no log line.
    const files = [...(await allFiles(ws)), ...(await allFiles(state))];
    expect(files).toContain(path.join(state, "models/sizes.json"));
    for (const file of files) {
      const text = (await fs.readFile(file)).toString("latin1");
      expect(text.includes(HF_TOKEN) || text.includes(CIVITAI_TOKEN), file).toBe(false);
    }
    const allLogs = logs.join("\n");
    expect(allLogs).not.toContain(HF_TOKEN);
    expect(allLogs).not.toContain(CIVITAI_TOKEN);
  });

  it("says which token is missing or refused on 401/403, without echoing the token", async () => {
    hf.add("/gated.bin", generateContent("g", MB), { requireToken: HF_TOKEN });
    civ.add("/civ.bin", generateContent("c", MB), { requireToken: CIVITAI_TOKEN });
    const wrong = "civitai_wrong_token_555";
    const error = await downloadFiles(
      [item(hf, "/gated.bin", "m/gated.bin"), item(civ, "/civ.bin", "m/civ.bin")],
      options({ tokens: { civitai: wrong } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    const [gatedFailure, civFailure] = (error as DownloadError).failures;
    expect(gatedFailure?.message).toMatch(/needs a Hugging Face token: the model is gated/);
    expect(civFailure?.message).toMatch(/the Civitai token was refused/);
    expect((error as Error).message).not.toContain(wrong);
    expect(logs.join("\n")).not.toContain(wrong);
    expect(hf.requestsFor("/gated.bin", "GET")).toHaveLength(0);
    expect(civ.requests.every((r) => r.authorization === `Bearer ${wrong}`)).toBe(true);
  });

  it("refuses to start when the files will not fit on the disk", async () => {
    hf.add("/huge.bin", generateContent("huge", 8 * MB));
    const error = await downloadFiles(
      [item(hf, "/huge.bin", "m/huge.bin")],
      options({ freeSpace: async () => 1_000_000 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotEnoughSpaceError);
    expect((error as Error).message).toMatch(/Not enough disk space .*needs 8\.4 MB, 1\.0 MB free/);
    expect(hf.requestsFor("/huge.bin", "GET")).toHaveLength(0);
    expect(await exists(path.join(ws, "m/huge.bin.part"))).toBe(false);
  });

  it("counts a resumable .part when checking space, and learns sizes from a Range GET without HEAD", async () => {
    const data = generateContent("nohead", 8 * MB);
    hf.add("/nohead.bin", data, { noHead: true });
    await fs.mkdir(path.join(ws, "m"), { recursive: true });
    await fs.writeFile(path.join(ws, "m/nohead.bin.part"), data.subarray(0, 6 * MB));
    let asked = "";
    await downloadFiles(
      [item(hf, "/nohead.bin", "m/nohead.bin", sha256(data))],
      options({
        freeSpace: async (dir) => {
          asked = dir;
          return 2 * MB + 1;
        },
      }),
    );
    expect(asked).toBe(ws);
    expect(hf.requestsFor("/nohead.bin", "GET").map((r) => r.range)).toEqual([
      "bytes=0-0",
      `bytes=${6 * MB}-`,
    ]);
    expect(sha256(await readWs("m/nohead.bin"))).toBe(sha256(data));
  });

  it("stops promptly on cancel, keeps the .part, and a later run resumes it", async () => {
    const data = generateContent("cancel", 16 * MB);
    hf.add("/cancel.bin", data, { stall: { afterBytes: 4 * MB, times: 1 } });
    const files = [item(hf, "/cancel.bin", "m/cancel.bin", sha256(data))];
    const controller = new AbortController();
    const run = downloadFiles(files, options({ signal: controller.signal }));
    const part = path.join(ws, "m/cancel.bin.part");
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
    expect(await exists(path.join(ws, "m/cancel.bin"))).toBe(false);

    await downloadFiles(files, options());
    const gets = hf.requestsFor("/cancel.bin", "GET");
    expect(gets.map((g) => g.range)).toEqual([undefined, `bytes=${4 * MB}-`]);
    expect(gets[1]?.bytesSent).toBe(data.length - 4 * MB);
    expect(sha256(await readWs("m/cancel.bin"))).toBe(sha256(data));
  });

  it("rejects at once when the signal is already aborted", async () => {
    hf.add("/x.bin", generateContent("x", MB));
    const controller = new AbortController();
    controller.abort();
    const error = await downloadFiles(
      [item(hf, "/x.bin", "m/x.bin")],
      options({ signal: controller.signal }),
    ).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(hf.requests).toEqual([]);
  });

  it("starts over when the server answers 200 to a Range request", async () => {
    const data = generateContent("norange", 8 * MB);
    hf.add("/norange.bin", data, { ignoreRange: true });
    await fs.mkdir(path.join(ws, "m"), { recursive: true });
    await fs.writeFile(path.join(ws, "m/norange.bin.part"), Buffer.alloc(2 * MB, 7));
    await downloadFiles([item(hf, "/norange.bin", "m/norange.bin", sha256(data))], options());
    const gets = hf.requestsFor("/norange.bin", "GET");
    expect(gets.map((g) => [g.range, g.status])).toEqual([[`bytes=${2 * MB}-`, 200]]);
    expect(sha256(await readWs("m/norange.bin"))).toBe(sha256(data));
    expect(logs).toContainEqual(expect.stringMatching(/does not resume m\/norange\.bin; starting it over/));
  });

  it("drops a connection that goes quiet and resumes it", async () => {
    const data = generateContent("quiet", 8 * MB);
    hf.add("/quiet.bin", data, { stall: { afterBytes: 3 * MB, times: 1 } });
    await downloadFiles(
      [item(hf, "/quiet.bin", "m/quiet.bin", sha256(data))],
      options({ idleTimeoutMs: 500 }),
    );
    expect(hf.requestsFor("/quiet.bin", "GET").map((g) => g.range)).toEqual([undefined, `bytes=${3 * MB}-`]);
    expect(sha256(await readWs("m/quiet.bin"))).toBe(sha256(data));
    expect(logs).toContainEqual(
      expect.stringMatching(/m\/quiet\.bin: no data from 127\.0\.0\.1:\d+ for 1 s; trying again/),
    );
  });

  it("fetches a file shared by two sets once and reports both sets complete", async () => {
    const shared = generateContent("shared", 8 * MB);
    const own = generateContent("own", 8 * MB);
    hf.add("/shared.bin", shared);
    hf.add("/own.bin", own);
    const last = new Map<string, DownloadProgress>();
    await downloadSets(
      [
        { id: "one", name: "One", files: [item(hf, "/shared.bin", "m/shared.bin")] },
        {
          id: "two",
          name: "Two",
          files: [item(hf, "/shared.bin", "m/shared.bin"), item(hf, "/own.bin", "m/own.bin")],
        },
      ],
      options({ onProgress: (p) => last.set(p.id, p), concurrency: 2 }),
    );
    expect(hf.requestsFor("/shared.bin", "GET")).toHaveLength(1);
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
    hf.add("/x.bin", generateContent("x", MB));
    const error = await downloadFiles(
      [
        { url: hf.url("/x.bin"), dest: path.join(root, "outside.bin") },
        { url: `${hf.url("/x.bin")}?token=embedded_secret_42`, dest: path.join(ws, "m/x.bin") },
      ],
      options(),
    ).catch((e: unknown) => e);
    expect((error as DownloadError).failures.map((f) => f.message)).toEqual([
      expect.stringMatching(/outside the workspace/),
      expect.stringMatching(/must not carry a credential/),
    ]);
    expect(hf.requests).toEqual([]);
    expect(logs.join("\n")).not.toContain("embedded_secret_42");
    expect((error as Error).message).not.toContain("embedded_secret_42");
  });
});
