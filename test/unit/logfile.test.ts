import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LogFile, MAX_READ_BYTES, TAIL_BYTES } from "../../server/logs/logfile.js";

const dirs: string[] = [];
function tempLog(maxBytes = 1 << 20): LogFile {
  const dir = mkdtempSync(path.join(os.tmpdir(), "log-test-"));
  dirs.push(dir);
  return new LogFile(path.join(dir, "tool.log"), { maxBytes });
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function readToEnd(
  log: LogFile,
  cursor: number,
): Promise<{ text: string; cursor: number; resets: number }> {
  let text = "";
  let resets = 0;
  for (;;) {
    const chunk = await log.read(cursor);
    if (chunk.reset) resets++;
    text += chunk.content;
    if (chunk.cursor === cursor) return { text, cursor, resets };
    cursor = chunk.cursor;
  }
}

describe("LogFile", () => {
  it("a missing log reads empty at cursor 0", async () => {
    const log = tempLog();
    expect(await log.read()).toEqual({ content: "", cursor: 0, reset: false });
    expect(await log.read(0)).toEqual({ content: "", cursor: 0, reset: false });
  });

  it("without a cursor gives the last 64 KiB; with one, only what is new", async () => {
    const log = tempLog();
    writeFileSync(log.file, "a".repeat(100_000));
    const first = await log.read();
    expect(first.content.length).toBe(TAIL_BYTES);
    expect(first.cursor).toBe(100_000);
    appendFileSync(log.file, "new line\n");
    const next = await log.read(first.cursor);
    expect(next).toEqual({ content: "new line\n", cursor: 100_009, reset: false });
    expect(await log.read(next.cursor)).toEqual({ content: "", cursor: 100_009, reset: false });
  });

  it("one answer holds at most 256 KiB", async () => {
    const log = tempLog(10 << 20);
    writeFileSync(log.file, "b".repeat(600_000));
    const chunk = await log.read(0);
    expect(chunk.content.length).toBe(MAX_READ_BYTES);
    expect((await readToEnd(log, 0)).text.length).toBe(600_000);
  });

  it("never splits a UTF-8 character", async () => {
    const log = tempLog();
    const text = "žćš€😀".repeat(50_000);
    writeFileSync(log.file, text);
    const all = await readToEnd(log, 0);
    expect(all.text).toBe(text);
    const tail = await log.read();
    expect(tail.content).not.toContain("\uFFFD");
    // A half-written character waits for its other bytes.
    const buffer = Buffer.from("ok 😀");
    const partial = tempLog();
    writeFileSync(partial.file, buffer.subarray(0, buffer.length - 2));
    const first = await partial.read(0);
    expect(first.content).toBe("ok ");
    appendFileSync(partial.file, buffer.subarray(buffer.length - 2));
    expect((await partial.read(first.cursor)).content).toBe("😀");
  });

  it("rotation keeps cursors valid and loses nothing a reader has not passed", async () => {
    const log = tempLog(10_000);
    let written = "";
    let cursor = 0;
    let read = "";
    for (let i = 0; i < 200; i++) {
      const line = `line ${i} ${"z".repeat(100)}\n`;
      appendFileSync(log.file, line);
      written += line;
      if (i % 7 === 0) {
        const result = await readToEnd(log, cursor);
        expect(result.resets).toBe(0);
        read += result.text;
        cursor = result.cursor;
      }
    }
    const rest = await readToEnd(log, cursor);
    read += rest.text;
    expect(read).toBe(written);
    expect(rest.cursor).toBe(Buffer.byteLength(written));
    // A cursor the log no longer holds restarts at the oldest byte held.
    const old = await log.read(5);
    expect(old.reset).toBe(true);
    expect(old.content.length).toBeGreaterThan(0);
    expect(written.endsWith((await readToEnd(log, old.cursor)).text)).toBe(true);
    // The offsets survive a new LogFile object on the same file (a studio restart).
    const again = new LogFile(log.file, { maxBytes: 10_000 });
    expect(await again.end()).toBe(Buffer.byteLength(written));
  });

  it("a cursor past the end restarts with reset", async () => {
    const log = tempLog();
    writeFileSync(log.file, "hello\n");
    expect(await log.read(999)).toEqual({ content: "hello\n", cursor: 6, reset: true });
  });

  it("clear hides old lines from readers without a cursor only", async () => {
    const log = tempLog();
    writeFileSync(log.file, "old\n");
    await log.clear();
    expect((await log.read()).content).toBe("");
    appendFileSync(log.file, "new\n");
    expect((await log.read()).content).toBe("new\n");
    expect((await log.read(0)).content).toBe("old\nnew\n");
  });
});

describe("LogFile.append", () => {
  it("keeps the order of appends asked at once", async () => {
    const log = tempLog();
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(`${i}\n`)));
    const { text } = await readToEnd(log, 0);
    expect(text).toBe(Array.from({ length: 200 }, (_, i) => `${i}\n`).join(""));
  });
});
