/**
 * A download run in a thread of its own, as the studio's model jobs run: the same files, log lines and
 * progress reach the caller; the tokens go only to their hosts and never into the log; a cancel, a failed
 * file and a full disk come back as the same error classes, and a cancelled run resumes.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  DownloadError,
  isAbortError,
  NotEnoughSpaceError,
  type DownloadGroup,
  type DownloadProgress,
} from "../../server/models/downloader.js";
import { rangeStatePath } from "../../server/models/download/pieces.js";
import { fromPlain, toPlain } from "../../server/models/thread/protocol.js";
import { downloadSetsInThread } from "../../server/models/thread/run.js";
import { ensureBuilt } from "../helpers/built.js";
import { waitFor } from "../helpers/wait.js";
import { generateContent, sha256 } from "./fileServer.js";
import { exists, useHarness } from "./harness.js";

const MIB = 1024 * 1024;
const HF_TOKEN = "hf_ThreadSecret_1234567890";
const h = useHarness();

const set = (files: DownloadGroup["files"]): DownloadGroup[] => [{ id: "flux", name: "FLUX", files }];

describe("a download in its own thread", () => {
  it("writes the files, and relays the log and the progress, tokens only to their host", async () => {
    await ensureBuilt();
    const big = generateContent("thread-big", 12 * MIB);
    const small = generateContent("thread-small", 300_000);
    h.hf.add("/big.bin", big, { requireToken: HF_TOKEN, rate: 24 * MIB });
    h.cdn.add("/small.bin", small);
    const progress: DownloadProgress[] = [];
    const { signal: _signal, ...options } = h.options({ connectionsPerFile: 4, minPieceBytes: MIB });
    const summary = await downloadSetsInThread(
      set([h.item(h.hf, "/big.bin", "m/big.bin", sha256(big)), h.item(h.cdn, "/small.bin", "m/small.bin")]),
      {
        ...options,
        signal: new AbortController().signal,
        tokens: { hf: HF_TOKEN },
        onProgress: (p) => progress.push(p),
      },
    );
    expect(summary).toEqual({
      files: 2,
      downloaded: 2,
      skipped: 0,
      bytesReceived: big.length + small.length,
    });
    expect(sha256(await h.readWs("m/big.bin"))).toBe(sha256(big));
    expect(sha256(await h.readWs("m/small.bin"))).toBe(sha256(small));
    expect(h.hf.maxActive).toBeGreaterThan(1);
    expect(h.hf.requests.every((r) => r.authorization === `Bearer ${HF_TOKEN}`)).toBe(true);
    expect(h.cdn.requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(h.logs).toContainEqual(expect.stringMatching(/^Done m\/big\.bin: 12\.6 MB .*checksum OK/));
    expect(h.logs.join("\n")).not.toContain(HF_TOKEN);
    expect(progress.at(-1)).toMatchObject({
      id: "flux",
      finished: true,
      filesDone: 2,
      doneBytes: summary.bytesReceived,
    });
  });

  it("is cancelled through the signal: an AbortError, the .part and its range state kept, then resumed", async () => {
    await ensureBuilt();
    const data = generateContent("thread-cancel", 8 * MIB);
    h.hf.add("/c.bin", data, { stall: { afterBytes: 256 * 1024, times: 4 } });
    const part = path.join(h.ws, "m/c.bin.part");
    const files = set([h.item(h.hf, "/c.bin", "m/c.bin", sha256(data))]);
    const controller = new AbortController();
    const { signal: _signal, ...options } = h.options({
      connectionsPerFile: 4,
      firstConnections: 4,
      minPieceBytes: MIB,
      stateSaveMs: 20,
    });
    const run = downloadSetsInThread(files, { ...options, signal: controller.signal });
    // All four stalls used up, so the next run is not stalled.
    await waitFor(
      async () => {
        const text = await fs.readFile(rangeStatePath(part), "utf8").catch(() => "{}");
        const written = (JSON.parse(text) as { written?: number[] }).written ?? [];
        return written.filter((w) => w === 256 * 1024).length === 4;
      },
      { what: "four pieces of 256 KiB in the saved range state" },
    );
    controller.abort();
    expect(isAbortError(await run.catch((error: unknown) => error))).toBe(true);
    expect(await exists(part)).toBe(true);
    expect(h.logs).toContainEqual(expect.stringMatching(/^Cancelled; partial files are kept/));

    const summary = await downloadSetsInThread(files, { ...options, signal: new AbortController().signal });
    expect(summary.bytesReceived).toBeLessThan(data.length);
    expect(sha256(await h.readWs("m/c.bin"))).toBe(sha256(data));
  });

  it("rejects with a DownloadError that names the failed file, after fetching the others", async () => {
    await ensureBuilt();
    const good = generateContent("thread-good", 100_000);
    h.cdn.add("/good.bin", good);
    h.cdn.add("/gone.bin", Buffer.alloc(10), { status: 404 });
    const { signal: _signal, ...options } = h.options();
    const error = await downloadSetsInThread(
      set([h.item(h.cdn, "/gone.bin", "m/gone.bin"), h.item(h.cdn, "/good.bin", "m/good.bin")]),
      { ...options, signal: new AbortController().signal },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).failures).toEqual([
      expect.objectContaining({ relDest: "m/gone.bin", message: expect.stringMatching(/404/) }),
    ]);
    expect(sha256(await h.readWs("m/good.bin"))).toBe(sha256(good));
  });

  it("goes on when the log or the progress sink throws", async () => {
    await ensureBuilt();
    const data = generateContent("thread-sink", 2 * MIB);
    h.cdn.add("/s.bin", data);
    const { signal: _signal, ...options } = h.options();
    const broken = () => {
      throw new Error("the sink is broken");
    };
    const summary = await downloadSetsInThread(set([h.item(h.cdn, "/s.bin", "m/s.bin", sha256(data))]), {
      ...options,
      signal: new AbortController().signal,
      log: broken,
      onProgress: broken,
    });
    expect(summary.downloaded).toBe(1);
    expect(sha256(await h.readWs("m/s.bin"))).toBe(sha256(data));
  });

  it("brings each error back as its own class with its fields", () => {
    const space = fromPlain(toPlain(new NotEnoughSpaceError(20e9, 10e9, "/workspace")));
    expect(space).toBeInstanceOf(NotEnoughSpaceError);
    expect(space).toMatchObject({ neededBytes: 20e9, freeBytes: 10e9, dir: "/workspace" });
    expect(space.message).toMatch(/needs 20\.0 GB, 10\.0 GB free/);
    const plain = fromPlain(toPlain(new TypeError("bad")));
    expect([plain.name, plain.message]).toEqual(["TypeError", "bad"]);
    expect(fromPlain(toPlain("thrown text")).message).toBe("thrown text");
  });
});
