import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HttpError } from "../../lora-tool/server/http.js";
import {
  captionNameFor,
  isSafeName,
  nameProblem,
  normaliseUploadName,
  resolveInside,
} from "../../lora-tool/server/names.js";
import { uniqueName } from "../../lora-tool/server/uploads.js";

describe("safe names", () => {
  it("accepts ordinary dataset and file names", () => {
    for (const name of ["cats", "Rosa Macak", "cat_01.png", "ščepec-2", "写真", "_x", "v1.2"]) {
      expect(nameProblem(name), name).toBeNull();
    }
  });

  it("refuses separators, dot-dot, hidden names, control characters and odd symbols", () => {
    for (const name of [
      "",
      ".",
      "..",
      "../x",
      "a/b",
      "a\\b",
      ".trash",
      "a\u0000b",
      "a\nb",
      " lead",
      "trail ",
      "x.",
      "a..b",
      "$HOME",
      "a*b",
      "x".repeat(101),
    ]) {
      expect(isSafeName(name), JSON.stringify(name)).toBe(false);
    }
  });

  it("never resolves outside the folder, for any string", () => {
    const root = path.resolve("/srv/datasets/cats");
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (name) => {
        if (isSafeName(name)) {
          const target = resolveInside(root, name);
          expect(path.dirname(target)).toBe(root);
        }
        try {
          const target = resolveInside(root, name);
          expect(path.dirname(target)).toBe(root);
        } catch (error) {
          expect(error).toBeInstanceOf(HttpError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("resolveInside refuses parents, nested paths and the folder itself", () => {
    for (const name of ["..", "../x", "a/b", "/etc/passwd", "", "."]) {
      expect(() => resolveInside("/srv/d", name), name).toThrow(HttpError);
    }
  });
});

describe("upload names", () => {
  it("tidies odd characters and lower-cases the extension", () => {
    expect(normaliseUploadName("IMG 1234 (copy).JPG")).toBe("IMG 1234 _copy_.jpg");
    expect(normaliseUploadName(".hidden.png")).toBe("hidden.png");
    expect(normaliseUploadName("фото.webp")).toBe("фото.webp");
    expect(normaliseUploadName("###.png")).toBe("___.png");
  });

  it("refuses path parts and control characters", () => {
    expect(normaliseUploadName("../evil.png")).toBeNull();
    expect(normaliseUploadName("a/b.png")).toBeNull();
    expect(normaliseUploadName("a\\b.png")).toBeNull();
    expect(normaliseUploadName("a\u0001.png")).toBeNull();
  });

  it("picks a free name so every image keeps its own caption file", () => {
    expect(uniqueName("cat.png", new Set(["dog"]))).toBe("cat.png");
    expect(uniqueName("cat.png", new Set(["cat"]))).toBe("cat-2.png");
    expect(uniqueName("Cat.jpg", new Set(["cat", "cat-2"]))).toBe("Cat-3.jpg");
    expect(captionNameFor("cat.01.png")).toBe("cat.01.txt");
  });
});
