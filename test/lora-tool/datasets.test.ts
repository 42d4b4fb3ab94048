import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { freshApp, png, tree } from "./helpers.js";

const t = freshApp();

async function create(name: string) {
  return await request(t.app).post("/api/datasets").send({ name });
}

describe("datasets", () => {
  it("creates, lists and shows a dataset", async () => {
    const created = await create("rosa portraits");
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ success: true, dataset: { name: "rosa portraits", images: 0 } });
    expect(existsSync(path.join(t.dirs.datasetsDir, "rosa portraits"))).toBe(true);

    const list = await request(t.app).get("/api/datasets");
    expect(list.body).toEqual({
      success: true,
      datasets: [{ name: "rosa portraits", images: 0, captioned: 0, bytes: 0 }],
    });

    const shown = await request(t.app).get(`/api/datasets/${encodeURIComponent("rosa portraits")}`);
    expect(shown.status).toBe(200);
    expect(shown.body.dataset).toMatchObject({ name: "rosa portraits", images: [], stats: { images: 0 } });
    expect(shown.body.autocaption).toBeNull();
  });

  it("refuses a second dataset with the same name", async () => {
    await create("cats");
    const again = await create("cats");
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ success: false, message: expect.stringContaining("already exists") });
  });

  it("renames a dataset with its images and captions", async () => {
    await create("cats");
    const dir = path.join(t.dirs.datasetsDir, "cats");
    await writeFile(path.join(dir, "a.png"), await png());
    await writeFile(path.join(dir, "a.txt"), "a cat");
    const renamed = await request(t.app).post("/api/datasets/cats/rename").send({ name: "felines" });
    expect(renamed.status).toBe(200);
    expect(renamed.body.dataset).toMatchObject({ name: "felines", images: 1, captioned: 1 });
    expect(existsSync(dir)).toBe(false);
    expect(await readFile(path.join(t.dirs.datasetsDir, "felines", "a.txt"), "utf8")).toBe("a cat");
    expect((await request(t.app).get("/api/datasets/cats")).status).toBe(404);
  });

  it("refuses to rename onto an existing dataset or a missing one", async () => {
    await create("cats");
    await create("dogs");
    const taken = await request(t.app).post("/api/datasets/cats/rename").send({ name: "dogs" });
    expect(taken.status).toBe(409);
    const missing = await request(t.app).post("/api/datasets/nope/rename").send({ name: "x" });
    expect(missing.status).toBe(404);
    expect(missing.body.success).toBe(false);
  });

  it("moves a deleted dataset to the trash instead of erasing it", async () => {
    await create("cats");
    await writeFile(path.join(t.dirs.datasetsDir, "cats", "a.txt"), "keep me");
    const deleted = await request(t.app).post("/api/datasets/cats/delete").send({});
    expect(deleted.status).toBe(200);
    expect(deleted.body.trashed_to).toMatch(/^\.trash\/cats-\d{8}-\d{6}-\d{3}$/);
    expect(existsSync(path.join(t.dirs.datasetsDir, "cats"))).toBe(false);
    const trashed = path.join(t.dirs.datasetsDir, deleted.body.trashed_to as string);
    expect(await readFile(path.join(trashed, "a.txt"), "utf8")).toBe("keep me");
    const list = await request(t.app).get("/api/datasets");
    expect(list.body.datasets).toEqual([]);
  });

  it("lists only dataset folders, not the trash or stray files", async () => {
    await create("b2");
    await create("b10");
    await mkdir(path.join(t.dirs.datasetsDir, ".trash"), { recursive: true });
    await writeFile(path.join(t.dirs.datasetsDir, "notes.txt"), "x");
    const list = await request(t.app).get("/api/datasets");
    expect(list.body.datasets.map((d: { name: string }) => d.name)).toEqual(["b2", "b10"]);
  });
});

describe("bad names and path traversal", () => {
  const badNames = [
    "..",
    "../escape",
    "a/b",
    ".trash",
    ".hidden",
    "a\u0000b",
    "tab\tname",
    "x".repeat(200),
    "",
    "$(id)",
  ];

  it.each(badNames.map((name) => [JSON.stringify(name), name]))(
    "refuses to create %s",
    async (_label, name) => {
      const before = await tree(t.dirs.root);
      const answer = await create(name);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ success: false, message: expect.any(String) });
      expect(answer.body.message.length).toBeGreaterThan(10);
      const after = await tree(t.dirs.root);
      const created = after.filter((entry) => !before.includes(entry));
      expect(
        created.filter(
          (entry) => !["workspace", "workspace/datasets", "workspace/datasets/.uploads"].includes(entry),
        ),
      ).toEqual([]);
    },
  );

  it("refuses a non-string name and a missing body", async () => {
    expect((await request(t.app).post("/api/datasets").send({ name: 5 })).status).toBe(400);
    expect((await request(t.app).post("/api/datasets").send({})).status).toBe(400);
  });

  it("refuses traversal through every route parameter and creates nothing outside", async () => {
    await create("cats");
    await writeFile(path.join(t.dirs.datasetsDir, "cats", "a.png"), await png());
    await writeFile(path.join(t.dirs.root, "secret.txt"), "secret");
    const before = await tree(t.dirs.root);
    const attempts: [string, string, object?][] = [
      ["get", "/api/datasets/..%2F..%2F"],
      ["get", "/api/datasets/%2E%2E"],
      ["get", "/api/datasets/cats/images/..%2F..%2F..%2Fsecret.txt"],
      ["get", "/api/datasets/cats/images/..%2F..%2F..%2Fsecret.png/thumb"],
      ["get", "/api/datasets/..%2F..%2F/download"],
      ["post", "/api/datasets/cats/images/..%2F..%2F..%2Fsecret.png/caption", { caption: "pwned" }],
      ["post", "/api/datasets/cats/images/a.png%00.png/caption", { caption: "pwned" }],
      ["post", "/api/datasets/..%2F..%2F..%2F/rename", { name: "x" }],
      ["post", "/api/datasets/cats/rename", { name: "../../escaped" }],
      ["post", "/api/datasets/cats/rename", { name: "sub/dir" }],
      ["post", "/api/datasets/..%2Fworkspace/delete", {}],
      ["post", "/api/datasets/cats/images/..%2Fa.png/delete", {}],
      ["post", "/api/datasets/..%2F..%2F/trigger", { trigger_word: "x" }],
    ];
    for (const [method, url, body] of attempts) {
      const answer =
        method === "get"
          ? await request(t.app).get(url)
          : await request(t.app)
              .post(url)
              .send(body ?? {});
      expect(answer.status, url).toBeGreaterThanOrEqual(400);
      expect(answer.status, url).toBeLessThan(500);
      expect(answer.body.success, url).toBe(false);
      expect(typeof answer.body.message, url).toBe("string");
    }
    expect(await tree(t.dirs.root)).toEqual(before);
    expect(await readFile(path.join(t.dirs.root, "secret.txt"), "utf8")).toBe("secret");
    expect(await readdir(path.join(t.dirs.datasetsDir, "cats"))).toEqual(["a.png"]);
  });

  it("answers a path that is not a dataset with 404", async () => {
    const answer = await request(t.app).get("/api/datasets/nothing-here");
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ success: false, message: expect.stringContaining("nothing-here") });
  });
});
