import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { downloadFiles, isAbortError, type DownloadOptions } from "../../server/models/downloader.js";
import { rangeStatePath } from "../../server/models/download/pieces.js";
import { ensureBuilt, ROOT } from "../helpers/built.js";
import { waitFor } from "../helpers/wait.js";
import type { RecordedRequest } from "./fileServer.js";
import { generateContent, sha256 } from "./fileServer.js";
import { exists, useHarness } from "./harness.js";

const KIB = 1024;
const MIB = 1024 * KIB;
const h = useHarness();

/** Pieces of 1 MiB, four connections. */
function rangedOptions(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return h.options({ connectionsPerFile: 4, minPieceBytes: MIB, stateSaveMs: 20, ...extra });
}

/** [first, last + 1) of a recorded Range request; an open range runs to `size`. */
function span(request: RecordedRequest, size: number): [number, number] {
  const m = /^bytes=(\d+)-(\d*)$/.exec(request.range ?? "");
  if (!m) throw new Error(`not a byte range: ${request.range}`);
  return [Number(m[1]), m[2] ? Number(m[2]) + 1 : size];
}

async function savedWritten(part: string): Promise<number[] | undefined> {
  const text = await fs.readFile(rangeStatePath(part), "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { written: number[] }).written;
}

// Both ways of writing a body: slabs on the thread pool (the studio's loop), blocking writes (a download thread).
describe.each(["async", "sync"] as const)(
  "downloads over several Range connections (%s writes)",
  (writes) => {
    const ranged = (extra: Partial<DownloadOptions> = {}) => rangedOptions({ writes, ...extra });

    it("splits a file into pieces over several connections when each connection is slow", async () => {
      const data = generateContent("ranged", 8 * MIB);
      h.hf.add("/r.bin", data, { rate: 8 * MIB });
      const summary = await downloadFiles([h.item(h.hf, "/r.bin", "m/r.bin", sha256(data))], ranged());
      expect(summary).toMatchObject({ downloaded: 1, bytesReceived: data.length });
      expect(sha256(await h.readWs("m/r.bin"))).toBe(sha256(data));
      expect(h.hf.maxActive).toBeGreaterThanOrEqual(4);
      const gets = h.hf.requestsFor("/r.bin", "GET");
      const spans = gets.map((g) => span(g, data.length)).sort((a, b) => a[0] - b[0]);
      expect(spans).toEqual(Array.from({ length: 8 }, (_, i) => [i * MIB, (i + 1) * MIB]));
      expect(gets.every((g) => g.status === 206)).toBe(true);
      expect(gets.find((g) => g.range === `bytes=${7 * MIB}-`)).toBeDefined();
      expect(await exists(path.join(h.ws, "m/r.bin.part"))).toBe(false);
      expect(await exists(rangeStatePath(path.join(h.ws, "m/r.bin.part")))).toBe(false);
      expect(h.logs).toContainEqual(expect.stringMatching(/^Done m\/r\.bin: 8\.4 MB .*checksum OK/));
    });

    it("falls back to one stream when the server ignores Range", async () => {
      const data = generateContent("norange", 4 * MIB);
      h.hf.add("/n.bin", data, { ignoreRange: true });
      await downloadFiles([h.item(h.hf, "/n.bin", "m/n.bin", sha256(data))], ranged());
      expect(sha256(await h.readWs("m/n.bin"))).toBe(sha256(data));
      const gets = h.hf.requestsFor("/n.bin", "GET");
      expect(gets[0]?.range).toBe(`bytes=0-${MIB - 1}`);
      expect(gets.at(-1)).toMatchObject({ range: undefined, status: 200, bytesSent: data.length });
      expect(h.logs).toContainEqual(
        expect.stringMatching(/does not resume or split .*m\/n\.bin over on one connection/),
      );
    });

    it.each([
      ["shift", /another byte range than asked/],
      ["long", /more bytes than the range asked/],
    ] as const)("falls back to one stream when the server answers another range (%s)", async (lie, said) => {
      const data = generateContent(`lie-${lie}`, 4 * MIB);
      h.hf.add("/l.bin", data, { lieRange: lie });
      await downloadFiles([h.item(h.hf, "/l.bin", "m/l.bin", sha256(data))], ranged());
      expect(sha256(await h.readWs("m/l.bin"))).toBe(sha256(data));
      expect(h.logs).toContainEqual(expect.stringMatching(said));
      expect(h.hf.requestsFor("/l.bin", "GET").at(-1)).toMatchObject({
        range: undefined,
        status: 200,
        bytesSent: data.length,
      });
    });

    it("keeps the .part and its range state on cancel; the next run resumes each piece where it stopped", async () => {
      const data = generateContent("cancel-ranged", 8 * MIB);
      h.hf.add("/c.bin", data, { stall: { afterBytes: 300 * KIB, times: 4 } });
      const part = path.join(h.ws, "m/c.bin.part");
      const files = [h.item(h.hf, "/c.bin", "m/c.bin", sha256(data))];
      const controller = new AbortController();
      const run = downloadFiles(files, ranged({ signal: controller.signal, firstConnections: 4 }));
      await waitFor(async () => (await savedWritten(part))?.filter((w) => w === 300 * KIB).length === 4, {
        what: "four pieces of 300 KiB in the saved range state",
      });
      controller.abort();
      expect(isAbortError(await run.catch((e: unknown) => e))).toBe(true);
      expect(await exists(part)).toBe(true);
      const written = (await savedWritten(part)) ?? [];
      expect(written.reduce((a, b) => a + b, 0)).toBe(4 * 300 * KIB);

      const before = h.hf.requestsFor("/c.bin", "GET").length;
      const summary = await downloadFiles(files, ranged());
      expect(sha256(await h.readWs("m/c.bin"))).toBe(sha256(data));
      expect(summary.bytesReceived).toBe(data.length - 4 * 300 * KIB);
      const resumed = h.hf
        .requestsFor("/c.bin", "GET")
        .slice(before)
        .map((g) => span(g, data.length)[0]);
      const expected = written
        .map((w, i) => i * MIB + (w === MIB ? 0 : w))
        .filter((_, i) => written[i] !== MIB);
      expect(resumed.sort((a, b) => a - b)).toEqual(expected);
      expect(await exists(rangeStatePath(part))).toBe(false);
    });

    it("resumes each piece after the downloading process is killed", { timeout: 120_000 }, async () => {
      await ensureBuilt();
      const data = generateContent("killed", 12 * MIB);
      h.hf.add("/k.bin", data, { stall: { afterBytes: 512 * KIB, times: 4 } });
      const part = path.join(h.ws, "m/k.bin.part");
      const { signal: _signal, log: _log, ...plain } = ranged({ firstConnections: 4 });
      const job = { files: [h.item(h.hf, "/k.bin", "m/k.bin", sha256(data))], options: plain };
      const child = spawn(
        process.execPath,
        [
          path.join(import.meta.dirname, "fixtures", "download-child.mjs"),
          path.join(ROOT, "dist", "server", "models", "downloader.js"),
          JSON.stringify(job),
        ],
        { stdio: "ignore" },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once("exit", (_code, signal) => resolve(signal)),
      );
      await waitFor(async () => (await savedWritten(part))?.filter((w) => w === 512 * KIB).length === 4, {
        what: "four pieces of 512 KiB saved by the child",
        timeoutMs: 30_000,
      });
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");

      const before = h.hf.requestsFor("/k.bin", "GET").length;
      const summary = await downloadFiles(job.files, ranged());
      expect(sha256(await h.readWs("m/k.bin"))).toBe(sha256(data));
      expect(summary.bytesReceived).toBe(data.length - 4 * 512 * KIB);
      const resumed = h.hf.requestsFor("/k.bin", "GET").slice(before);
      expect(resumed.reduce((sum, g) => sum + g.bytesSent, 0)).toBe(data.length - 4 * 512 * KIB);
      const starts = resumed.map((g) => span(g, data.length)[0]);
      expect(starts.filter((s) => s % MIB === 512 * KIB)).toHaveLength(4);
      expect(await exists(part)).toBe(false);
    });
  },
);
