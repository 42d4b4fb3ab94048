import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseManifest } from "../../server/models/manifest.js";
import { SizeCache, readSizeCache, sizeCachePath } from "../../server/models/sizeCache.js";
import { setStatus, setsStatus } from "../../server/models/status.js";

describe("setStatus", () => {
  let root: string;
  let ws: string;
  let state: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "status-"));
    ws = path.join(root, "ws");
    state = path.join(root, "state");
    await fs.mkdir(ws, { recursive: true });
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const manifest = [
    "# name: Three files",
    "https://example.org/a  m/a.bin",
    "https://example.org/b  m/b.bin",
    "https://example.org/c  m/c.bin",
  ].join("\n");

  async function put(rel: string, bytes: number): Promise<void> {
    await fs.mkdir(path.dirname(path.join(ws, rel)), { recursive: true });
    await fs.writeFile(path.join(ws, rel), Buffer.alloc(bytes));
  }

  it("counts nothing for an empty workspace", async () => {
    const { set } = parseManifest(manifest, "three", ws);
    expect(await setStatus(set, { stateDir: state })).toEqual({
      id: "three",
      name: "Three files",
      installed: 0,
      total: 3,
      bytes: 0,
    });
  });

  it("does not count a .part as installed, and takes sizes from disk and the size cache", async () => {
    const { set } = parseManifest(manifest, "three", ws);
    await put("m/a.bin", 100); // complete, size unknown to the cache
    await put("m/b.bin.part", 40); // partial
    const cache = await SizeCache.open(state);
    await cache.set("https://example.org/b", 250);
    await cache.set("https://example.org/c", 1000);
    expect(await setStatus(set, { stateDir: state })).toMatchObject({
      installed: 1,
      total: 3,
      bytes: 100 + 250 + 1000,
    });
  });

  it("does not count a file whose size differs from the known size", async () => {
    const { set } = parseManifest(manifest, "three", ws);
    await put("m/a.bin", 100);
    await put("m/b.bin", 250);
    const cache = await SizeCache.open(state);
    await cache.set("https://example.org/a", 101);
    await cache.set("https://example.org/b", 250);
    const [status] = await setsStatus([set], { stateDir: state });
    expect(status).toMatchObject({ installed: 1, bytes: 101 + 250 });
  });

  it("keeps the size cache as an atomic JSON file that survives junk", async () => {
    const cache = await SizeCache.open(state);
    await Promise.all([
      cache.set("https://x/1", 1),
      cache.set("https://x/2", 2),
      cache.set("https://x/3", 3),
    ]);
    expect(JSON.parse(await fs.readFile(sizeCachePath(state), "utf8"))).toEqual({
      "https://x/1": 1,
      "https://x/2": 2,
      "https://x/3": 3,
    });
    expect((await fs.readdir(path.dirname(sizeCachePath(state)))).filter((n) => n.endsWith(".tmp"))).toEqual(
      [],
    );
    await fs.writeFile(sizeCachePath(state), "{ not json");
    expect(await readSizeCache(state)).toEqual({});
    await fs.writeFile(sizeCachePath(state), JSON.stringify({ a: 1, b: "x", c: -1, d: 1.5 }));
    expect(await readSizeCache(state)).toEqual({ a: 1 });
  });
});
