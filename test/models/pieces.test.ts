import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  contiguousBytes,
  heldBytes,
  holdPrefix,
  layPieces,
  loadRangeState,
  pieceBytesFor,
  rangeStatePath,
  saveRangeState,
} from "../../server/models/download/pieces.js";

const MIB = 1024 * 1024;
let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pieces-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("pieces of a ranged download", () => {
  it("cuts about four pieces per connection, in whole MiB, between the least piece and 64 MiB", () => {
    expect(pieceBytesFor(1024 * MIB, 8, 16 * MIB)).toBe(32 * MIB);
    expect(pieceBytesFor(100 * MIB, 8, 16 * MIB)).toBe(16 * MIB);
    expect(pieceBytesFor(20_000 * MIB, 8, 16 * MIB)).toBe(64 * MIB);
    expect(pieceBytesFor(20_000 * MIB, 8, 128 * MIB)).toBe(128 * MIB);
    expect(pieceBytesFor(8 * MIB, 4, MIB)).toBe(MIB);
  });

  it("lays pieces end to end, the last one shorter", () => {
    expect(layPieces(10, 4)).toEqual([
      { start: 0, end: 4, written: 0 },
      { start: 4, end: 8, written: 0 },
      { start: 8, end: 10, written: 0 },
    ]);
  });

  it("counts what is held and the contiguous prefix", () => {
    const pieces = holdPrefix(layPieces(10, 4), 6);
    expect(pieces.map((p) => p.written)).toEqual([4, 2, 0]);
    expect(heldBytes(pieces)).toBe(6);
    expect(contiguousBytes(pieces)).toBe(6);
    pieces[2]!.written = 2;
    expect(heldBytes(pieces)).toBe(8);
    expect(contiguousBytes(pieces)).toBe(6);
    pieces[1]!.written = 4;
    expect(contiguousBytes(pieces)).toBe(10);
  });

  it("saves the state atomically and reads it back only for the same URL", async () => {
    const part = path.join(dir, "a.bin.part");
    await fs.writeFile(part, "");
    const handle = await fs.open(part, "r+");
    const pieces = layPieces(10 * MIB, 4 * MIB);
    pieces[1]!.written = 123;
    await saveRangeState(part, handle, { url: "http://h/a", size: 10 * MIB, pieceBytes: 4 * MIB, pieces });
    await handle.close();
    expect(await fs.readdir(dir)).toEqual(["a.bin.part", "a.bin.part.ranges"]);
    const loaded = await loadRangeState(part, "http://h/a");
    expect(loaded?.pieces.map((p) => p.written)).toEqual([0, 123, 0]);
    expect(await loadRangeState(part, "http://h/other")).toBeUndefined();
  });

  it("ignores a state that is broken or does not fit its pieces", async () => {
    const part = path.join(dir, "b.bin.part");
    expect(await loadRangeState(part, "u")).toBeUndefined();
    await fs.writeFile(rangeStatePath(part), "{ not json");
    expect(await loadRangeState(part, "u")).toBeUndefined();
    const shape = { version: 1, url: "u", size: 10, pieceBytes: 4 };
    await fs.writeFile(rangeStatePath(part), JSON.stringify({ ...shape, written: [4, 4] }));
    expect(await loadRangeState(part, "u")).toBeUndefined();
    await fs.writeFile(rangeStatePath(part), JSON.stringify({ ...shape, written: [4, -1, 0] }));
    expect(await loadRangeState(part, "u")).toBeUndefined();
    await fs.writeFile(rangeStatePath(part), JSON.stringify({ ...shape, written: [9, 4, 2] }));
    expect((await loadRangeState(part, "u"))?.pieces.map((p) => p.written)).toEqual([4, 4, 2]);
  });
});
