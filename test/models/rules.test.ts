import { describe, expect, it } from "vitest";
import { bytesNeeded } from "../../server/models/download/disk.js";
import { acceptsRanges, contentLength, parseContentRange } from "../../server/models/download/headers.js";
import { HttpStatusError } from "../../server/models/http.js";
import { Ramp } from "../../server/models/download/ramp.js";
import { backoffMs } from "../../server/models/download/retry.js";
import type { Task } from "../../server/models/download/plan.js";
import { formatBytes, formatRate } from "../../server/util/bytes.js";

describe("byte formatting", () => {
  it("uses decimal units with one digit after the point", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(-5)).toBe("0 B");
    expect(formatBytes(Number.NaN)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1000)).toBe("1.0 kB");
    expect(formatBytes(3_400_000)).toBe("3.4 MB");
    expect(formatBytes(999_960)).toBe("1.0 MB");
    expect(formatBytes(17_246_524_772)).toBe("17.2 GB");
    expect(formatBytes(2.5e12)).toBe("2.5 TB");
    expect(formatRate(52_400_000)).toBe("52.4 MB/s");
  });
});

describe("answer headers", () => {
  it("reads Content-Range, Content-Length and Accept-Ranges", () => {
    expect(parseContentRange("bytes 0-99/1000")).toEqual({ start: 0, end: 99, total: 1000 });
    expect(parseContentRange("bytes 5-9/*")).toEqual({ start: 5, end: 9, total: undefined });
    expect(parseContentRange("bytes */1000")).toEqual({ start: -1, total: 1000 });
    expect(parseContentRange("items 0-1/2")).toBeNull();
    expect(parseContentRange(undefined)).toBeNull();
    expect(contentLength("1234")).toBe(1234);
    expect(contentLength("12a")).toBeUndefined();
    expect(contentLength("99999999999999999999")).toBeUndefined();
    expect(acceptsRanges("bytes")).toBe(true);
    expect(acceptsRanges("none")).toBe(false);
    expect(acceptsRanges(undefined)).toBeUndefined();
  });
});

describe("retry back-off", () => {
  it("doubles up to 30 s and honours Retry-After up to 60 s", () => {
    expect([1, 2, 3].map((n) => backoffMs(n, 1000))).toEqual([1000, 2000, 4000]);
    expect(backoffMs(10, 1000)).toBe(30_000);
    expect(backoffMs(1, 1000, new HttpStatusError("busy", 429, true, 5000))).toBe(5000);
    expect(backoffMs(1, 1000, new HttpStatusError("busy", 429, true, 600_000))).toBe(60_000);
  });
});

describe("disk need", () => {
  it("counts what is still to come and the files of unknown size", () => {
    const tasks = [{ size: 100, done: 30 }, { size: 50, done: 50 }, { done: 7 }] as Task[];
    expect(bytesNeeded(tasks)).toEqual({ needed: 70, unknownSizes: 1 });
  });
});

describe("connection ramp", () => {
  it("doubles slow connections while that pays, and goes back when it does not", () => {
    const ramp = new Ramp(8);
    const t0 = Date.now();
    expect(ramp.more(1e6, 1, t0 + 50)).toBe(0); // window not over yet
    expect(ramp.more(1e6, 1, t0 + 100, 0.1)).toBe(1); // 20 MB/s on one connection: double
    expect(ramp.more(4e6, 2, t0 + 200, 0.1)).toBe(2); // 40 MB/s: it paid, double again
    expect(ramp.more(4.2e6, 4, t0 + 300, 0.1)).toBe(0); // 42 MB/s: it did not pay
    expect(ramp.ceiling).toBe(2);
    expect(ramp.more(9e6, 2, t0 + 400, 0.1)).toBe(0); // settled
  });

  it("adds none while the event loop is busy", () => {
    const ramp = new Ramp(8);
    expect(ramp.more(1e6, 1, Date.now() + 100, 0.9)).toBe(0);
  });

  it("keeps one fast connection alone and never passes the maximum", () => {
    const fast = new Ramp(8);
    expect(fast.more(50e6, 1, Date.now() + 100, 0.1)).toBe(0); // 500 MB/s
    const small = new Ramp(3);
    const t0 = Date.now();
    expect(small.more(1e6, 1, t0 + 100, 0.1)).toBe(1);
    expect(small.more(2e6, 2, t0 + 200, 0.1)).toBe(1);
    expect(small.more(3e6, 3, t0 + 300, 0.1)).toBe(0);
  });
});
