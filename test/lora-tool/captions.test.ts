import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { binaryParser, makeApp, makeDirs, png, unzip, type TestDirs } from "./helpers.js";

let dirs: TestDirs;
let app: ReturnType<typeof makeApp>["app"];
const catsDir = () => path.join(dirs.datasetsDir, "cats");
const caption = async (name: string) => await readFile(path.join(catsDir(), name), "utf8");

beforeEach(async () => {
  dirs = await makeDirs();
  app = makeApp(dirs).app;
  await request(app).post("/api/datasets").send({ name: "cats" }).expect(201);
  for (const name of ["a.png", "b.png", "c.png"]) await writeFile(path.join(catsDir(), name), await png());
  await writeFile(path.join(catsDir(), "a.txt"), "a tabby cat on a red sofa");
  await writeFile(path.join(catsDir(), "b.txt"), "a black cat, red collar");
});

afterEach(async () => await dirs.cleanup());

describe("editing one caption", () => {
  it("writes the caption file beside the image, whole", async () => {
    const answer = await request(app)
      .post("/api/datasets/cats/images/c.png/caption")
      .send({ caption: "a kitten" });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ success: true, image: "c.png", caption: "a kitten" });
    expect(await caption("c.txt")).toBe("a kitten");
    expect((await readdir(catsDir())).filter((name) => name.startsWith("."))).toEqual([]);
  });

  it("removes the caption file when the caption is emptied", async () => {
    await request(app).post("/api/datasets/cats/images/a.png/caption").send({ caption: "  " }).expect(200);
    expect(existsSync(path.join(catsDir(), "a.txt"))).toBe(false);
  });

  it("refuses a caption for a missing image, a non-string caption and a non-JSON body", async () => {
    expect(
      (await request(app).post("/api/datasets/cats/images/zzz.png/caption").send({ caption: "x" })).status,
    ).toBe(404);
    expect(
      (await request(app).post("/api/datasets/cats/images/a.png/caption").send({ caption: 3 })).status,
    ).toBe(400);
    const form = await request(app)
      .post("/api/datasets/cats/images/a.png/caption")
      .type("form")
      .send("caption=x");
    expect(form.status).toBe(415);
    expect(form.body.success).toBe(false);
    expect(existsSync(path.join(catsDir(), "zzz.txt"))).toBe(false);
  });
});

describe("trigger word", () => {
  it("adds the word once to every caption, and a second run changes nothing", async () => {
    const first = await request(app).post("/api/datasets/cats/trigger").send({ trigger_word: " ohwx " });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, changed: 3, total: 3 });
    expect(await caption("a.txt")).toBe("ohwx, a tabby cat on a red sofa");
    expect(await caption("b.txt")).toBe("ohwx, a black cat, red collar");
    expect(await caption("c.txt")).toBe("ohwx");

    const second = await request(app).post("/api/datasets/cats/trigger").send({ trigger_word: "ohwx" });
    expect(second.body).toMatchObject({ success: true, changed: 0 });
    expect(await caption("a.txt")).toBe("ohwx, a tabby cat on a red sofa");
    expect(await caption("c.txt")).toBe("ohwx");
  });

  it("refuses an empty or multi-line trigger word", async () => {
    expect((await request(app).post("/api/datasets/cats/trigger").send({ trigger_word: "  " })).status).toBe(
      400,
    );
    const lines = await request(app).post("/api/datasets/cats/trigger").send({ trigger_word: "a\nb" });
    expect(lines.status).toBe(400);
    expect(lines.body.message).toMatch(/single line/);
    expect(await caption("a.txt")).toBe("a tabby cat on a red sofa");
  });
});

describe("find and replace", () => {
  it("replaces literal text across the set and reports the counts", async () => {
    const answer = await request(app)
      .post("/api/datasets/cats/replace")
      .send({ find: "red", replace: "blue" });
    expect(answer.body).toMatchObject({ success: true, changed: 2, replacements: 2 });
    expect(await caption("a.txt")).toBe("a tabby cat on a blue sofa");
    expect(await caption("b.txt")).toBe("a black cat, blue collar");
    expect(existsSync(path.join(catsDir(), "c.txt"))).toBe(false);
  });

  it("treats the search as text, not a pattern", async () => {
    await writeFile(path.join(catsDir(), "c.txt"), "cat (sitting). cat.");
    const answer = await request(app)
      .post("/api/datasets/cats/replace")
      .send({ find: "cat.", replace: "$&$1" });
    expect(answer.body.replacements).toBe(1);
    expect(await caption("c.txt")).toBe("cat (sitting). $&$1");
  });

  it("refuses an empty search", async () => {
    const answer = await request(app).post("/api/datasets/cats/replace").send({ find: "", replace: "x" });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/find/);
  });
});

describe("a caption edit racing a set-wide replace", () => {
  it("is never lost: the edit and the replace run one after the other (30 rounds)", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `r${String(i).padStart(2, "0")}.png`);
    const image = await png();
    for (const name of names) await writeFile(path.join(catsDir(), name), image);
    const last = names.at(-1) as string;
    const lost: number[] = [];
    for (let round = 0; round < 30; round++) {
      for (const name of names)
        await writeFile(path.join(catsDir(), name.replace(".png", ".txt")), "a red cat");
      const edited = `round ${round}: a cat by hand`;
      const [replaced, edit] = await Promise.all([
        request(app).post("/api/datasets/cats/replace").send({ find: "red", replace: "green" }),
        request(app).post(`/api/datasets/cats/images/${last}/caption`).send({ caption: edited }),
      ]);
      expect(replaced.status).toBe(200);
      expect(edit.status).toBe(200);
      // Whichever ran first, the hand-written caption must survive (the replace has no "red" to find in it).
      if ((await caption(last.replace(".png", ".txt"))) !== edited) lost.push(round);
    }
    expect(lost).toEqual([]);
  });
});

describe("statistics", () => {
  it("counts captions and their lengths", async () => {
    const answer = await request(app).get("/api/datasets/cats/stats");
    expect(answer.body).toEqual({
      success: true,
      stats: {
        images: 3,
        captioned: 2,
        missing: 1,
        words: { min: 5, avg: 6, max: 7 },
        characters: { min: 23, avg: 24, max: 25 },
      },
    });
  });
});

describe("zip download", () => {
  it("skips a file whose name has a backslash, with a note beside the folder", async () => {
    await writeFile(path.join(catsDir(), "back\\slash.png"), await png());
    await writeFile(path.join(catsDir(), "back\\slash.txt"), "a caption");
    await writeFile(path.join(catsDir(), "d.png"), await png());
    await writeFile(path.join(catsDir(), "d\\x.txt"), "a stray caption");
    await writeFile(path.join(catsDir(), "x\\..\\..\\evil.png"), await png());
    const answer = await request(app).get("/api/datasets/cats/download").buffer(true).parse(binaryParser);
    expect(answer.status).toBe(200);
    const files = unzip(answer.body as Buffer);
    expect([...files.keys()].sort()).toEqual([
      "SKIPPED.txt",
      "cats/a.png",
      "cats/a.txt",
      "cats/b.png",
      "cats/b.txt",
      "cats/c.png",
      "cats/d.png",
    ]);
    const note = files.get("SKIPPED.txt")?.toString("utf8") ?? "";
    expect(note).toContain("back\\slash.png");
    expect(note).toContain("x\\..\\..\\evil.png");
    expect(note).toMatch(/backslash/);
  });

  it("streams every image and caption inside a folder named after the dataset", async () => {
    await writeFile(path.join(catsDir(), "stray.txt"), "not a caption of any image");
    const answer = await request(app).get("/api/datasets/cats/download").buffer(true).parse(binaryParser);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/zip");
    expect(answer.headers["content-disposition"]).toMatch(/^attachment; filename="?cats\.zip"?$/);
    const files = unzip(answer.body as Buffer);
    expect([...files.keys()].sort()).toEqual([
      "cats/a.png",
      "cats/a.txt",
      "cats/b.png",
      "cats/b.txt",
      "cats/c.png",
    ]);
    expect(files.get("cats/a.txt")?.toString("utf8")).toBe("a tabby cat on a red sofa");
    expect(
      Buffer.compare(files.get("cats/a.png") as Buffer, await readFile(path.join(catsDir(), "a.png"))),
    ).toBe(0);
  });
});
