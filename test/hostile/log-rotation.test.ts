/**
 * Readers racing a rotation: a separate process appends numbered lines (about 4 MB/s) to a log that rotates
 * every 1 MiB, while twenty-one readers follow it by cursor. What a reader gets is always true to the
 * log: its lines come in order, none twice, none torn; a gap is allowed only where the answer said
 * `reset: true` (the reader fell behind; it restarts at the oldest byte held, maybe inside a line) or,
 * where the filesystem cannot cut a file's front in place, in the instant between a copy and a truncate.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LogFile } from "../../server/logs/logfile.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "log-rotation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINE = /^line (\d{9}) x{50}$/;

describe("log rotation under concurrent readers", () => {
  it("readers never get bytes from the wrong place", async () => {
    const file = path.join(dir, "tool.log");
    writeFileSync(file, "");
    const log = new LogFile(file, { maxBytes: 1024 * 1024 });
    const writer = spawn(
      process.execPath,
      [
        "-e",
        // About 4 MB/s, in writes of 20 lines: the reader that keeps up has 250 ms per rotation, even on a loaded machine.
        `const fs = require("fs"); const fd = fs.openSync(${JSON.stringify(file)}, "a"); const start = Date.now(); const until = start + 3000; let n = 0;
         const pause = new Int32Array(new SharedArrayBuffer(4));
         while (Date.now() < until) { let s = ""; for (let i = 0; i < 20; i++) s += "line " + String(n++).padStart(9, "0") + " " + "x".repeat(50) + "\\n"; fs.writeSync(fd, s);
           if (n * 71 > (Date.now() - start) * 4000) Atomics.wait(pause, 0, 0, 1); }
         fs.writeSync(fd, "done after " + n + "\\n");`,
      ],
      { stdio: "ignore" },
    );
    const finished = new Promise<void>((resolve) => writer.once("exit", () => resolve()));
    let writing = true;
    void finished.then(() => (writing = false));

    const reader = async (maxBytes: number) => {
      let cursor = 0;
      let carry = "";
      let next: number | null = 0;
      const figures = { lines: 0, resets: 0, gaps: 0, errors: [] as string[] };
      for (;;) {
        const chunk = await log.read(cursor, maxBytes);
        let content = chunk.content;
        if (chunk.reset) {
          figures.resets++;
          // A restart begins wherever the oldest byte held is, maybe inside a line: skip to the next one.
          content = content.slice(content.indexOf("\n") + 1);
          carry = "";
          next = null;
        } else if (chunk.cursor - cursor !== Buffer.byteLength(chunk.content)) {
          figures.errors.push(
            `cursor moved ${chunk.cursor - cursor} for ${Buffer.byteLength(chunk.content)} bytes`,
          );
        }
        const lines = (carry + content).split("\n");
        carry = lines.pop() ?? "";
        for (const line of lines) {
          const match = LINE.exec(line);
          if (!match) {
            if (!line.startsWith("done after") && figures.errors.length < 5)
              figures.errors.push(`torn: ${line.slice(0, 70)}`);
            continue;
          }
          const n = Number(match[1]);
          figures.lines++;
          if (next !== null && n < next && figures.errors.length < 5)
            figures.errors.push(`line ${n} after ${next - 1}`);
          if (next !== null && n > next) figures.gaps++;
          next = n + 1;
        }
        const stalled = chunk.cursor === cursor;
        cursor = chunk.cursor;
        if (!writing && stalled) return figures;
        if (stalled && maxBytes < 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    // Twenty slow readers (16 KiB an answer) and one that takes 4 MiB at a time and keeps up.
    const results = await Promise.all([
      reader(4 * 1024 * 1024),
      ...Array.from({ length: 20 }, () => reader(16 * 1024)),
    ]);
    await finished;
    for (const [i, figures] of results.entries()) {
      expect(figures.errors, `reader ${i}`).toEqual([]);
      expect(figures.lines, `reader ${i}`).toBeGreaterThan(0);
    }
    // Where the filesystem can cut a file's front in place, a reader that kept up missed nothing.
    const probe = path.join(dir, "probe");
    writeFileSync(probe, Buffer.alloc(256 * 1024));
    const collapses =
      spawnSync("fallocate", ["--collapse-range", "--offset", "0", "--length", String(64 * 1024), probe])
        .status === 0;
    if (collapses) {
      const keptUp = results.filter((figures) => figures.resets === 0);
      expect(keptUp.length).toBeGreaterThan(0);
      for (const figures of keptUp) expect(figures.gaps).toBe(0);
    }
  });
});
