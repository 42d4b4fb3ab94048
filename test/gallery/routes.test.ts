/** The gallery over real HTTP: who may look and delete, files and ranges, thumbnails, zips, bad paths. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { post, signIn, useStudios, type Agent } from "../helpers/http.js";
import type { TestStudio } from "../helpers/studio.js";
import { outputOf, png, put } from "./helpers.js";

const studio = useStudios();
const ROSA = "Rosa Macak Cizmesija";
const ZOE = "Zoë Šimić";

function binary(res: unknown, callback: (error: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  stream.on("end", () => callback(null, Buffer.concat(chunks)));
}

/** The names in a zip and its test by `unzip -t`. */
async function zipNames(zip: Buffer): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gallery-zip-"));
  try {
    writeFileSync(path.join(dir, "a.zip"), zip);
    await execa("unzip", ["-tq", "a.zip"], { cwd: dir });
    const { stdout } = await execa("zipinfo", ["-1", "a.zip"], { cwd: dir });
    return stdout.split("\n").sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withFiles(s: TestStudio): Promise<void> {
  const now = Date.now();
  put(outputOf(s, ROSA), "one.png", await png(640, 480), now - 3000);
  put(outputOf(s, ROSA), "batch/two.png", await png(32, 32), now - 2000);
  put(outputOf(s, ROSA), "page.html", "<script>alert(1)</script>", now - 1000);
  put(outputOf(s, ZOE), "zoe.png", await png(16, 16), now);
}

const gallery = (agent: Agent, query = "") => agent.get(`/gallery${query}`);

describe("the gallery over HTTP", () => {
  it("lists one's own gallery by default and others' when asked; needs a name", async () => {
    const s = await studio();
    await withFiles(s);
    const rosa = await signIn(s, ROSA);
    const own = (await gallery(rosa).expect(200)).body;
    expect(own.artist).toBe(ROSA);
    expect(own.items.map((item: { path: string }) => item.path)).toEqual([
      "page.html",
      "batch/two.png",
      "one.png",
    ]);
    expect(own.items[2]).toMatchObject({ kind: "image", width: 640, height: 480, size: expect.any(Number) });
    const paged = (await gallery(rosa, "?limit=2").expect(200)).body;
    expect(paged.items).toHaveLength(2);
    const rest = (await gallery(rosa, `?limit=2&cursor=${encodeURIComponent(paged.next_cursor)}`).expect(200))
      .body;
    expect(rest.items.map((item: { path: string }) => item.path)).toEqual(["one.png"]);
    expect(rest.next_cursor).toBeNull();
    expect((await gallery(rosa, `?artist=${encodeURIComponent("zoë šimić")}`).expect(200)).body.artist).toBe(
      ZOE,
    );

    await gallery(s.agent()).expect(400);
    await s
      .agent()
      .get(`/gallery/file?artist=${encodeURIComponent(ROSA)}&path=one.png`)
      .expect(400);
    expect((await gallery(rosa, "?artist=Nobody").expect(404)).body.message).toMatch(
      /not on the studio's list/,
    );
    expect((await gallery(rosa, "?cursor=zzz").expect(400)).body.message).toMatch(/cursor/);
    expect((await gallery(rosa, "?limit=0").expect(400)).body.message).toMatch(/limit must be between/);
    expect((await gallery(rosa, "?limit=2&limit=3").expect(400)).body.message).toMatch(/limit/);
  });

  it("serves files inline or as downloads, with byte ranges, and never a page that could run a script", async () => {
    const s = await studio();
    await withFiles(s);
    const zoe = await signIn(s, ZOE);
    const base = `/gallery/file?artist=${encodeURIComponent(ROSA)}`;
    const image = await zoe.get(`${base}&path=one.png`).buffer(true).parse(binary).expect(200);
    expect(image.headers["content-type"]).toBe("image/png");
    expect(image.headers["content-disposition"]).toBe("inline");
    expect((await sharp(image.body as Buffer).metadata()).width).toBe(640);
    const download = await zoe.get(`${base}&path=batch/two.png&download=1`).expect(200);
    expect(download.headers["content-disposition"]).toMatch(/^attachment; filename="?two\.png"?$/);

    const html = await zoe.get(`${base}&path=page.html`).buffer(true).parse(binary).expect(200);
    expect(html.headers["content-type"]).toBe("application/octet-stream");
    expect(html.headers["content-disposition"]).toMatch(/^attachment/);
    expect(html.headers["content-security-policy"]).toMatch(/sandbox/);
    expect(html.headers["x-content-type-options"]).toBe("nosniff");

    const part = await zoe
      .get(`${base}&path=page.html`)
      .set("Range", "bytes=8-12")
      .buffer(true)
      .parse(binary)
      .expect(206);
    expect((part.body as Buffer).toString()).toBe("alert");
    expect(part.headers["content-range"]).toBe("bytes 8-12/25");
    await zoe.get(`${base}&path=page.html`).set("Range", "bytes=99-").expect(416);
  });

  it("refuses paths that leave the folder and never serves a link", async () => {
    const s = await studio();
    await withFiles(s);
    const rosaDir = outputOf(s, ROSA);
    symlinkSync("/etc/passwd", path.join(rosaDir, "passwd.png"));
    symlinkSync(outputOf(s, ZOE), path.join(rosaDir, "zoe"));
    mkdirSync(path.join(rosaDir, ".secret"));
    writeFileSync(path.join(rosaDir, ".secret", "x.png"), "x");
    const rosa = await signIn(s, ROSA);
    const cases: [string, number][] = [
      ["../Zoë Šimić/zoe.png", 400],
      ["/etc/passwd", 400],
      ["batch/../one.png", 400],
      ["./one.png", 400],
      ["batch//two.png", 400],
      ["a\\b.png", 400],
      ["passwd.png", 404],
      ["zoe/zoe.png", 404],
      [".secret/x.png", 404],
      ["batch", 404],
      ["missing.png", 404],
    ];
    for (const [p, status] of cases) {
      for (const url of ["/gallery/file", "/gallery/thumb"]) {
        const answer = await rosa.get(url).query({ path: p });
        expect({ p, url, status: answer.status }).toEqual({ p, url, status });
        expect(answer.body.success).toBe(false);
      }
      const deleting = await post(rosa, "/gallery/delete", { paths: [p] });
      expect({ p, status: deleting.status }).toEqual({ p, status });
      const zipping = await post(rosa, "/gallery/zip", { paths: [p] });
      expect({ p, status: zipping.status }).toEqual({ p, status });
    }
    await rosa
      .get("/gallery/file")
      .query({ path: ["one.png", "batch/two.png"] })
      .expect(400);
    const listed = (await gallery(rosa).expect(200)).body.items.map((item: { path: string }) => item.path);
    expect(listed).not.toContain("passwd.png");
    expect(listed.some((p: string) => p.startsWith("zoe/") || p.startsWith(".secret"))).toBe(false);
  });

  it("gives thumbnails of at most 512 px, and zips of a selection or of everything", async () => {
    const s = await studio();
    await withFiles(s);
    const zoe = await signIn(s, ZOE);
    const thumb = await zoe
      .get("/gallery/thumb")
      .query({ artist: ROSA, path: "one.png" })
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(thumb.headers["content-type"]).toBe("image/webp");
    expect(await sharp(thumb.body as Buffer).metadata()).toMatchObject({ width: 512, height: 384 });
    const icon = await zoe.get("/gallery/thumb").query({ artist: ROSA, path: "page.html" }).expect(200);
    expect(icon.headers["content-type"]).toMatch(/^image\/svg\+xml/);

    const selection = await post(zoe, "/gallery/zip", { artist: ROSA, paths: ["one.png", "batch/two.png"] })
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(selection.headers["content-type"]).toBe("application/zip");
    expect(selection.headers["content-disposition"]).toMatch(/selection\.zip/);
    expect(await zipNames(selection.body as Buffer)).toEqual([`${ROSA}/batch/two.png`, `${ROSA}/one.png`]);
    const all = await zoe.get("/gallery/zip").buffer(true).parse(binary).expect(200);
    expect(await zipNames(all.body as Buffer)).toEqual([`${ZOE}/zoe.png`]);
    expect((await post(zoe, "/gallery/zip", { paths: [] }).expect(400)).body.message).toMatch(/at least one/);
  });

  it("deletes one's own files; someone else's only in admin mode", async () => {
    const s = await studio();
    await withFiles(s);
    const zoe = await signIn(s, ZOE);
    const body = { artist: ROSA, paths: ["one.png"] };
    expect((await post(zoe, "/gallery/delete", body).expect(403)).body.message).toMatch(/only Rosa/);
    const razvan = await signIn(s, "Razvan Matei");
    expect((await post(razvan, "/gallery/delete", body).expect(403)).body.message).toMatch(/admin mode/);
    await post(await signIn(s, "Razvan Matei", { adminMode: true }), "/gallery/delete", body).expect(200);
    const rosa = await signIn(s, ROSA);
    expect((await post(rosa, "/gallery/delete", { paths: ["page.html"] }).expect(200)).body).toEqual({
      success: true,
      artist: ROSA,
      deleted: 1,
    });
    expect((await gallery(rosa).expect(200)).body.items.map((item: { path: string }) => item.path)).toEqual([
      "batch/two.png",
    ]);
  });
});
