/** The kit's environment readers and byte formatter. */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigError, readDirectory, readHost, readInteger, readPort } from "@comfystudio/kit/env";
import { formatBytes } from "@comfystudio/kit/web/format";
import { describe, expect, it } from "vitest";

function configError(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("no ConfigError");
}

describe("environment readers", () => {
  it("take the default when unset or blank, and a good value as it is", () => {
    expect(readPort({}, "PORT", 3000)).toBe(3000);
    expect(readPort({ PORT: "  " }, "PORT", 3000)).toBe(3000);
    expect(readPort({ PORT: " 8188 " }, "PORT", 3000)).toBe(8188);
    expect(readHost({}, "LISTEN_HOST", "127.0.0.1")).toBe("127.0.0.1");
    expect(readHost({ LISTEN_HOST: "::1" }, "LISTEN_HOST", "127.0.0.1")).toBe("::1");
    const rule = { fallback: 10, min: 0, max: 100, what: "a number of seconds" };
    expect(readInteger({ N: "0" }, "N", rule)).toBe(0);
  });

  it("name the variable and the bad value", () => {
    for (const value of ["0", "65536", "80a", "-1", "1.5", "1e3"]) {
      const error = configError(() => readPort({ PORT: value }, "PORT", 3000));
      expect(error.variable).toBe("PORT");
      expect(error.message).toBe(`PORT: "${value}" is not a port (a whole number from 1 to 65535)`);
    }
    const rule = { fallback: 10, min: 5, max: 100, what: "a number of seconds" };
    expect(configError(() => readInteger({ N: "4" }, "N", rule)).message).toBe(
      'N: "4" is not a number of seconds',
    );
    expect(configError(() => readHost({ H: "a b" }, "H", "x")).message).toBe('H: "a b" is not an address');
  });

  it("resolve folders against a base and create them when asked", async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), "kit-env-"));
    try {
      expect(readDirectory({}, "D", { fallback: "x", base })).toBe(path.join(base, "x"));
      const made = readDirectory({ D: "a/b" }, "D", { fallback: "x", base, create: true, mode: 0o700 });
      expect((await stat(made)).isDirectory()).toBe(true);
      await writeFile(path.join(base, "file"), "");
      const error = configError(() =>
        readDirectory({ D: "file/sub" }, "D", { fallback: "", base, create: true }),
      );
      expect(error.message).toMatch(/^D: cannot create ".*file\/sub"/);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe("formatBytes", () => {
  it("gives three significant digits in decimal units", () => {
    const cases: [number, string][] = [
      [0, "0 B"],
      [-5, "0 B"],
      [Number.NaN, "0 B"],
      [999, "999 B"],
      [1000, "1.00 kB"],
      [3_400_000, "3.40 MB"],
      [16_800_000, "16.8 MB"],
      [999_600, "1.00 MB"],
      [99_960, "100 kB"],
      [17_246_524_772, "17.2 GB"],
      [4e12, "4.00 TB"],
    ];
    for (const [count, text] of cases) expect(formatBytes(count), String(count)).toBe(text);
  });
});
