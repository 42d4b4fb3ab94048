import path from "node:path";
import { childPath } from "@comfystudio/kit/paths";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  captionNameFor,
  checkName,
  isSafeName,
  nameProblem,
  normaliseUploadName,
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

  it("a safe name is always one name directly inside its folder", () => {
    const root = path.resolve("/srv/datasets/cats");
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (name) => {
        if (!isSafeName(name)) {
          expect(() => checkName(name, "image")).toThrow(/The image name/);
          return;
        }
        expect(path.dirname(childPath(root, checkName(name, "image")))).toBe(root);
      }),
      { numRuns: 2000 },
    );
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
