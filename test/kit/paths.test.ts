import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { StudioError } from "@comfystudio/kit/errors";
import {
  childPath,
  isInside,
  openInside,
  PathError,
  readInside,
  resolveInside,
} from "@comfystudio/kit/paths";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

describe("resolveInside and childPath", () => {
  const root = path.resolve("/srv/root");

  it("never give a path outside the root, for any parts", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }), (parts) => {
        try {
          expect(isInside(root, resolveInside(root, ...parts))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(StudioError);
          expect((error as StudioError).status).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("childPath gives one name directly inside, or a 400 naming the value", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        try {
          expect(path.dirname(childPath(root, name))).toBe(root);
        } catch (error) {
          expect((error as StudioError).status).toBe(400);
          expect((error as Error).message).toContain(JSON.stringify(name));
        }
      }),
      { numRuns: 2000 },
    );
    for (const name of ["", ".", "..", "a/b", "../x", "/etc/passwd", "a\0b"]) {
      expect(() => childPath(root, name), name).toThrow(StudioError);
    }
    expect(resolveInside(root, "a", "..", "b")).toBe(path.join(root, "b"));
    expect(() => resolveInside(root, "..", "rootless")).toThrow(/points outside its folder/);
  });
});

describe("openInside", () => {
  let dir: string;
  let root: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "kit-paths-"));
    root = path.join(dir, "root");
    await mkdir(path.join(root, "sub"), { recursive: true });
    await writeFile(path.join(root, "sub", "ok.txt"), "inside");
    await writeFile(path.join(dir, "secret.txt"), "outside");
  });
  afterEach(async () => await rm(dir, { recursive: true, force: true }));

  async function refusal(...parts: string[]): Promise<string> {
    const error: unknown = await openInside(root, ...parts).then(
      async (handle) => {
        await handle.close();
        return null;
      },
      (thrown: unknown) => thrown,
    );
    expect(error, parts.join("/")).toBeInstanceOf(PathError);
    expect((error as PathError).status).toBe(404);
    return (error as PathError).reason;
  }

  it("reads a regular file inside the root", async () => {
    expect((await readInside(root, "sub", "ok.txt")).toString()).toBe("inside");
  });

  it("never follows a link, as the last part or as a folder on the way out", async () => {
    await symlink(path.join(dir, "secret.txt"), path.join(root, "link.txt"));
    await symlink(dir, path.join(root, "out"));
    await symlink(path.join(root, "sub", "ok.txt"), path.join(root, "inner-link.txt"));
    expect(await refusal("link.txt")).toBe("a link");
    expect(await refusal("out", "secret.txt")).toBe("outside");
    expect(await refusal("inner-link.txt")).toBe("a link");
  });

  it("refuses a missing file, a folder and a FIFO, without blocking on the FIFO", async () => {
    execFileSync("mkfifo", [path.join(root, "pipe")]);
    expect(await refusal("missing.txt")).toBe("missing");
    expect(await refusal("sub")).toBe("not a file");
    expect(await refusal("pipe")).toBe("not a file");
    await expect(openInside(root, "..", "secret.txt")).rejects.toThrow(/points outside/);
  });
});
