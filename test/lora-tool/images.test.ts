import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { binaryParser, gif, jpeg, makeApp, makeDirs, png, tree, webp, type TestDirs } from "./helpers.js";

let dirs: TestDirs;
let app: ReturnType<typeof makeApp>["app"];

beforeEach(async () => {
  dirs = await makeDirs();
  app = makeApp(dirs).app;
  await request(app).post("/api/datasets").send({ name: "cats" }).expect(201);
});

afterEach(async () => await dirs.cleanup());

const catsDir = () => path.join(dirs.datasetsDir, "cats");

describe("uploads", () => {
  it("takes many JPEG, PNG and WebP images at once and lists them with sizes", async () => {
    const answer = await request(app)
      .post("/api/datasets/cats/images")
      .attach("images", await png(64, 48), "cat_01.png")
      .attach("images", await jpeg(30, 20), "cat_02.JPG")
      .attach("images", await jpeg(10, 10), "cat_03.jpeg")
      .attach("images", await webp(12, 34), "cat_04.webp");
    expect(answer.status).toBe(201);
    expect(answer.body.success).toBe(true);
    expect(answer.body.added.map((a: { name: string }) => a.name)).toEqual([
      "cat_01.png",
      "cat_02.jpg",
      "cat_03.jpeg",
      "cat_04.webp",
    ]);
    expect(answer.body.rejected).toEqual([]);
    expect((await readdir(catsDir())).sort()).toEqual([
      "cat_01.png",
      "cat_02.jpg",
      "cat_03.jpeg",
      "cat_04.webp",
    ]);

    const shown = await request(app).get("/api/datasets/cats");
    const first = shown.body.dataset.images[0];
    expect(first).toMatchObject({ name: "cat_01.png", width: 64, height: 48, caption: null });
    expect(first.bytes).toBe((await png(64, 48)).length);
    expect(first.thumb_url).toMatch(/^\/api\/datasets\/cats\/images\/cat_01\.png\/thumb\?v=\d+$/);
    expect(shown.body.dataset.stats).toMatchObject({ images: 4, captioned: 0, missing: 4 });
    const list = await request(app).get("/api/datasets");
    expect(list.body.datasets[0]).toMatchObject({ name: "cats", images: 4, captioned: 0 });
  });

  it("refuses a file that is not an image, whatever its name, with a message", async () => {
    const answer = await request(app)
      .post("/api/datasets/cats/images")
      .attach("images", Buffer.from("#!/bin/sh\necho not an image\n"), "evil.png");
    expect(answer.status).toBe(400);
    expect(answer.body.success).toBe(false);
    expect(answer.body.message).toMatch(/evil\.png.*not an image/);
    expect(await readdir(catsDir())).toEqual([]);
  });

  it("adds the good files of a mixed upload and names the refused ones", async () => {
    const answer = await request(app)
      .post("/api/datasets/cats/images")
      .attach("images", await png(), "good.png")
      .attach("images", Buffer.from("hello"), "notes.txt")
      .attach("images", await gif(), "anim.gif")
      .attach("images", await gif(), "sneaky.png")
      .attach("images", (await png()).subarray(0, 60), "truncated.png");
    expect(answer.status).toBe(201);
    expect(answer.body.added).toEqual([{ name: "good.png", original: "good.png" }]);
    const refused = Object.fromEntries(
      (answer.body.rejected as { name: string; message: string }[]).map((r) => [r.name, r.message]),
    );
    expect(refused["notes.txt"]).toMatch(/not a \.jpg/);
    expect(refused["anim.gif"]).toMatch(/not a \.jpg/);
    expect(refused["sneaky.png"]).toMatch(/GIF image/);
    expect(refused["truncated.png"]).toMatch(/damaged|not an image/);
    expect(await readdir(catsDir())).toEqual(["good.png"]);
    expect(await readdir(path.join(dirs.datasetsDir, ".uploads"))).toEqual([]);
  });

  it("keeps one image per caption name: a clash gets a numbered name", async () => {
    await writeFile(path.join(catsDir(), "cat.txt"), "existing caption");
    const answer = await request(app)
      .post("/api/datasets/cats/images")
      .attach("images", await png(), "cat.png")
      .attach("images", await jpeg(), "cat.jpg");
    expect(answer.body.added.map((a: { name: string }) => a.name)).toEqual(["cat-2.png", "cat-3.jpg"]);
  });

  it("keeps only the base name of an upload, so nothing lands outside the dataset", async () => {
    const before = await tree(dirs.root);
    const answer = await request(app)
      .post("/api/datasets/cats/images")
      .attach("images", await png(), { filename: "../../escape.png", contentType: "image/png" })
      .attach("images", await png(), { filename: "..\\..\\win.png", contentType: "image/png" });
    expect(answer.status).toBe(201);
    const after = await tree(dirs.root);
    const added = after.filter((entry) => !before.includes(entry));
    const outside = added.filter(
      (entry) =>
        !entry.startsWith("workspace/datasets/cats/") &&
        !entry.startsWith("workspace/.comfystudio/lora-tool"),
    );
    expect(outside).toEqual(["workspace/.comfystudio"]);
    expect(await readdir(catsDir())).toHaveLength(2);
    expect(existsSync(path.join(dirs.workspaceDir, "escape.png"))).toBe(false);
    expect(existsSync(path.join(dirs.datasetsDir, "escape.png"))).toBe(false);
  });

  it("refuses a file over the size limit with 413 and keeps nothing", async () => {
    const small = makeApp(dirs, { uploadLimitBytes: 1000 }).app;
    const answer = await request(small)
      .post("/api/datasets/cats/images")
      .attach("images", await png(10, 10), "ok.png")
      .attach(
        "images",
        await png(400, 400, "#123456").then((b) => Buffer.concat([b, Buffer.alloc(5000)])),
        "big.png",
      );
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({
      success: false,
      message: expect.stringMatching(/"big\.png" is larger than/),
    });
    expect(await readdir(catsDir())).toEqual([]);
    expect(await readdir(path.join(dirs.datasetsDir, ".uploads"))).toEqual([]);
  });

  it("answers clearly for an upload with no files, the wrong body type or a missing dataset", async () => {
    const empty = await request(app).post("/api/datasets/cats/images").field("note", "x");
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/at least one image/);
    const json = await request(app).post("/api/datasets/cats/images").send({ images: [] });
    expect(json.status).toBe(415);
    const missing = await request(app)
      .post("/api/datasets/dogs/images")
      .attach("images", await png(), "a.png");
    expect(missing.status).toBe(404);
    const wrongField = await request(app)
      .post("/api/datasets/cats/images")
      .attach("file", await png(), "a.png");
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.message).toMatch(/"images"/);
  });
});

describe("malformed uploads", () => {
  it("get 400 JSON and leave nothing behind", async () => {
    const bodies: [string, string | Buffer][] = [
      ["multipart/form-data", "--x\r\n"],
      [
        "multipart/form-data; boundary=x",
        '--x\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n\r\nabc',
      ],
      ["multipart/form-data; boundary=x", "--x\r\nthis is not a header line\r\n\r\nabc\r\n--x--\r\n"],
      [
        "multipart/form-data; boundary=x",
        Buffer.from([0x2d, 0x2d, 0x78, 0x0d, 0x0a, 0xff, 0xfe, 0x00, 0x0d, 0x0a]),
      ],
    ];
    for (const [type, body] of bodies) {
      const answer = await request(app)
        .post("/api/datasets/cats/images")
        .set("Content-Type", type)
        .send(body);
      expect(answer.status, `${type} ${String(body)}`).toBe(400);
      expect(answer.body).toEqual({ success: false, message: expect.stringMatching(/upload/i) });
    }
    expect(await readdir(catsDir())).toEqual([]);
    expect(await readdir(path.join(dirs.datasetsDir, ".uploads"))).toEqual([]);
  });
});

describe("thumbnails and files", () => {
  it("serves a cached WebP thumbnail outside the dataset folder", async () => {
    await request(app)
      .post("/api/datasets/cats/images")
      .attach("images", await png(1200, 800), "big.png");
    const thumb = await request(app)
      .get("/api/datasets/cats/images/big.png/thumb")
      .buffer(true)
      .parse(binaryParser);
    expect(thumb.status).toBe(200);
    expect(thumb.headers["content-type"]).toBe("image/webp");
    const meta = await sharp(thumb.body as Buffer).metadata();
    expect(meta.format).toBe("webp");
    expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(384);
    expect(existsSync(path.join(dirs.stateDir, "lora-tool", "thumbs", "cats", "big.png.webp"))).toBe(true);
    expect(await readdir(catsDir())).toEqual(["big.png"]);
  });

  it("makes a thumbnail on demand for an image copied in by hand", async () => {
    await writeFile(path.join(catsDir(), "manual.jpg"), await jpeg(500, 500));
    const thumb = await request(app)
      .get("/api/datasets/cats/images/manual.jpg/thumb")
      .buffer(true)
      .parse(binaryParser);
    expect(thumb.status).toBe(200);
    expect((await sharp(thumb.body as Buffer).metadata()).width).toBe(384);
  });

  it("serves the original image", async () => {
    const original = await png(20, 20);
    await writeFile(path.join(catsDir(), "orig.png"), original);
    const answer = await request(app)
      .get("/api/datasets/cats/images/orig.png")
      .buffer(true)
      .parse(binaryParser);
    expect(answer.status).toBe(200);
    expect(Buffer.compare(answer.body as Buffer, original)).toBe(0);
  });

  it("deletes an image with its caption into the trash", async () => {
    await writeFile(path.join(catsDir(), "a.png"), await png());
    await writeFile(path.join(catsDir(), "a.txt"), "caption a");
    await writeFile(path.join(catsDir(), "b.png"), await png());
    const answer = await request(app).post("/api/datasets/cats/images/a.png/delete").send({});
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true);
    expect(await readdir(catsDir())).toEqual(["b.png"]);
    const trash = await readdir(path.join(dirs.datasetsDir, ".trash"));
    expect(trash).toHaveLength(1);
    expect(await readFile(path.join(dirs.datasetsDir, ".trash", trash[0] as string, "a.txt"), "utf8")).toBe(
      "caption a",
    );
    expect((await request(app).post("/api/datasets/cats/images/a.png/delete").send({})).status).toBe(404);
  });
});
