import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SET_ID_PATTERN, loadModelSets, parseManifest } from "../../server/models/manifest.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHIPPED = path.join(REPO, "setup/download-models");
const WS = "/workspace";
const SHA = "a".repeat(64);
const URL1 = "https://huggingface.co/org/repo/resolve/main/model.safetensors";

function parse(text: string, id = "test-set") {
  return parseManifest(text, id, WS);
}

describe("parseManifest", () => {
  it("reads the name, skips comments and blank lines, and keeps good lines", () => {
    const { set, errors } = parse(
      [
        "# name: My Models",
        "# a comment",
        "",
        `${URL1}  ComfyUI/models/vae/ae.safetensors`,
        `   https://example.org/b.bin\tComfyUI/models/loras/b.safetensors\t${SHA.toUpperCase()}   `,
        "#another comment",
      ].join("\r\n"),
    );
    expect(errors).toEqual([]);
    expect(set.id).toBe("test-set");
    expect(set.name).toBe("My Models");
    expect(set.files).toEqual([
      {
        url: URL1,
        dest: path.resolve(WS, "ComfyUI/models/vae/ae.safetensors"),
        relDest: "ComfyUI/models/vae/ae.safetensors",
      },
      {
        url: "https://example.org/b.bin",
        dest: path.resolve(WS, "ComfyUI/models/loras/b.safetensors"),
        relDest: "ComfyUI/models/loras/b.safetensors",
        sha256: SHA,
      },
    ]);
  });

  it("normalises a DEST with ./ and inner segments", () => {
    const { set, errors } = parse(`# name: N\n${URL1} ./ComfyUI/models/../models/vae/x.safetensors`);
    expect(errors).toEqual([{ line: 2, message: expect.stringContaining("..") }]);
    expect(set.files).toEqual([]);
    const ok = parse(`# name: N\n${URL1} ./ComfyUI//models/vae/x.safetensors`);
    expect(ok.errors).toEqual([]);
    expect(ok.set.files[0]?.relDest).toBe("ComfyUI/models/vae/x.safetensors");
  });

  const bad: [string, string, RegExp][] = [
    ["a relative URL", "models/a.safetensors ComfyUI/models/a.safetensors", /not a URL/],
    ["an ftp URL", "ftp://example.org/a ComfyUI/models/a.safetensors", /http:\/\/ or https:\/\//],
    ["a file URL", "file:///etc/passwd ComfyUI/models/a.safetensors", /http:\/\/ or https:\/\//],
    ["credentials in the URL", "https://user:pw@example.org/a ComfyUI/models/a", /user name or password/],
    [
      "a token in the query",
      "https://civitai.com/api/download/models/1?token=abc ComfyUI/models/a",
      /credential/,
    ],
    ["a DEST escaping with ..", `${URL1} ../x`, /leaves the workspace/],
    ["a DEST escaping deeper", `${URL1} ComfyUI/../../etc/passwd`, /leaves the workspace/],
    ["an absolute DEST", `${URL1} /etc/x`, /absolute/],
    ["a Windows DEST", `${URL1} C:/x`, /absolute/],
    ["a backslash DEST", `${URL1} ComfyUI\\models\\x`, /backslash/],
    ["a folder DEST", `${URL1} ComfyUI/models/`, /folder/],
    ["the workspace itself", `${URL1} .`, /inside the workspace/],
    ["a .part DEST", `${URL1} ComfyUI/models/x.part`, /\.part/],
    ["a short sha", `${URL1} ComfyUI/models/x ${"a".repeat(63)}`, /SHA-256/],
    ["a non-hex sha", `${URL1} ComfyUI/models/x ${"g".repeat(64)}`, /SHA-256/],
    ["one field", URL1, /found 1 field$/],
    ["four fields", `${URL1} ComfyUI/models/x ${SHA} extra`, /found 4 fields/],
  ];
  it.each(bad)("reports %s with its line number", (_what, line, message) => {
    const { set, errors } = parse(`# name: N\n\n${line}\n${URL1} ComfyUI/models/good.safetensors`);
    expect(errors).toEqual([{ line: 3, message: expect.stringMatching(message) }]);
    expect(set.files.map((f) => f.relDest)).toEqual(["ComfyUI/models/good.safetensors"]);
  });

  it("reports a DEST containing NUL", () => {
    const { errors } = parse(`# name: N\n${URL1} ComfyUI/models/a\u0000b`);
    expect(errors).toEqual([{ line: 2, message: expect.stringMatching(/NUL/) }]);
  });

  it("reports a DEST used twice, a missing name, a second name and a bad id", () => {
    const dup = parse(`# name: N\n${URL1} a/x\n${URL1} a/./x`);
    expect(dup.errors).toEqual([{ line: 3, message: expect.stringMatching(/already used on line 2/) }]);
    expect(dup.set.files).toHaveLength(1);

    const unnamed = parse(`${URL1} a/x`, "unnamed");
    expect(unnamed.set.name).toBe("unnamed");
    expect(unnamed.errors).toEqual([{ line: 0, message: expect.stringMatching(/name/) }]);

    const twice = parse(`# name: A\n# name: B\n${URL1} a/x`);
    expect(twice.set.name).toBe("A");
    expect(twice.errors).toEqual([{ line: 2, message: expect.stringMatching(/second/) }]);

    expect(parse(`# name:   \n${URL1} a/x`).errors[0]).toMatchObject({ line: 1 });
    expect(parse(`# name: A\n${URL1} a/x`, "Bad Id").errors).toEqual([
      { line: 0, message: expect.stringMatching(/not a valid set id/) },
    ]);
  });
});

describe("loadModelSets", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "manifests-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("loads sets sorted by id and names file and line in warnings", async () => {
    await fs.writeFile(path.join(dir, "b-set.txt"), `# name: B\n${URL1} a/b\n`);
    await fs.writeFile(path.join(dir, "a-set.txt"), `# name: A\n# c\nnot-a-url a/x\n${URL1} a/a\n`);
    await fs.writeFile(path.join(dir, "Bad Name.txt"), `# name: X\n${URL1} a/y\n`);
    await fs.writeFile(path.join(dir, "empty.txt"), `# name: Empty\n`);
    await fs.writeFile(path.join(dir, "readme.md"), `not a manifest`);
    const { sets, warnings } = await loadModelSets(dir, WS);
    expect(sets.map((s) => s.id)).toEqual(["a-set", "b-set"]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^a-set\.txt:3: .*not a URL/),
        expect.stringMatching(/^Bad Name\.txt: .*not a valid set id/),
        expect.stringMatching(/^empty\.txt: has no usable file lines/),
      ]),
    );
    expect(warnings).toHaveLength(3);
  });

  it("warns when two sets write one DEST from different URLs", async () => {
    await fs.writeFile(path.join(dir, "one.txt"), `# name: One\n${URL1} a/x\n`);
    await fs.writeFile(path.join(dir, "two.txt"), `# name: Two\nhttps://example.org/other a/x\n`);
    const { sets, warnings } = await loadModelSets(dir, WS);
    expect(sets).toHaveLength(2);
    expect(warnings).toEqual([expect.stringMatching(/^two\.txt: a\/x is also downloaded by one\.txt/)]);
  });

  it("gives no sets and one warning for a missing folder", async () => {
    const { sets, warnings } = await loadModelSets(path.join(dir, "nope"), WS);
    expect(sets).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/does not exist/)]);
  });
});

describe("shipped manifests", () => {
  it("every manifest in setup/download-models parses with zero errors", async () => {
    const names = (await fs.readdir(SHIPPED)).filter((n) => n.endsWith(".txt"));
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) {
      const id = name.slice(0, -4);
      expect(id).toMatch(SET_ID_PATTERN);
      const { set, errors } = parseManifest(await fs.readFile(path.join(SHIPPED, name), "utf8"), id, WS);
      expect({ name, errors }).toEqual({ name, errors: [] });
      expect(set.name).not.toBe(id);
      expect(set.files.length).toBeGreaterThan(0);
      for (const file of set.files) {
        expect(file.url).toMatch(
          /^https:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+\/resolve\/main\/\S+\.safetensors$/,
        );
        expect(file.relDest).toMatch(
          /^ComfyUI\/models\/(checkpoints|diffusion_models|vae|text_encoders|clip_vision|loras)\/[^/]+\.safetensors$/,
        );
        expect(path.basename(file.relDest)).toBe(path.basename(new URL(file.url).pathname));
      }
    }
    const { sets, warnings } = await loadModelSets(SHIPPED, WS);
    expect(warnings).toEqual([]);
    expect(sets.map((s) => s.id)).toEqual(
      expect.arrayContaining(["flux1-dev", "flux1-schnell", "qwen-image", "z-image-turbo", "wan22-ti2v-5b"]),
    );
  });
});
