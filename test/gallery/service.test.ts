/**
 * The gallery service on real folders: newest first with a cursor over 10,000 files, new and changed
 * files seen within 2 s, image sizes, thumbnails made once, poster frames through a stand-in ffmpeg (an
 * icon without one), and deletes that check every path first.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { Gallery, type GalleryItem } from "../../server/gallery/service.js";
import { StudioError } from "../../server/util/errors.js";
import { useStudios } from "../helpers/http.js";
import type { TestStudio } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import { outputOf, png, put, STANDIN_FFMPEG } from "./helpers.js";

const studio = useStudios();
const ROSA = "Rosa Macak Cizmesija";
const ZOE = "Zoë Šimić";
const rosa = { artist: ROSA, isAdmin: false, adminMode: false };
const razvan = { artist: "Razvan Matei", isAdmin: true, adminMode: false };

function galleryOf(s: TestStudio, ffmpeg?: string): Gallery {
  return new Gallery({
    users: s.studio.users,
    stateDir: s.config.stateDir,
    logger: pino({ level: "silent" }),
    ffmpeg,
  });
}

async function statusOf(promise: Promise<unknown>): Promise<number | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    if (error instanceof StudioError) return error.status;
    throw error;
  }
}

describe("the gallery service", () => {
  it("pages 10,000 files newest first, each once, and sees new, grown and removed files within 2 s", async () => {
    const s = await studio();
    const dir = outputOf(s, ROSA);
    const base = Date.now() - 3_600_000;
    // Ten folders of a thousand; every file its own time, except pairs that share one (ordered by path).
    // Every tenth file is a picture (its size is read), the rest latents and workflows.
    const picture = await png(64, 64);
    const name = (i: number) =>
      `day-${i % 10}/img_${String(i).padStart(5, "0")}.${i % 10 === 9 ? "png" : "latent"}`;
    for (let i = 0; i < 10_000; i++)
      put(dir, name(i), i % 10 === 9 ? picture : "x", base + Math.floor(i / 2) * 100);
    const gallery = galleryOf(s);

    const started = performance.now();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let sized: GalleryItem | undefined;
    for (;;) {
      const page = await gallery.list(ROSA, { cursor, limit: 500 });
      seen.push(...page.items.map((item) => item.path));
      sized ??= page.items[1];
      pages++;
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
      if (pages === 3) put(dir, "day-0/arrived_while_paging.png", "x"); // must not shift later pages
    }
    const firstWalk = performance.now() - started;
    expect(pages).toBe(20);
    expect(sized).toMatchObject({ path: "day-9/img_09999.png", kind: "image", width: 64, height: 64 });
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    // Two files of the same time come by path.
    expect(seen.slice(0, 4)).toEqual([
      "day-8/img_09998.latent",
      "day-9/img_09999.png",
      "day-6/img_09996.latent",
      "day-7/img_09997.latent",
    ]);
    expect(seen.at(-1)).toBe("day-1/img_00001.latent");

    // The file written while paging leads the next listing; so does one written now.
    put(dir, "day-3/new.png", "new");
    const first = await waitFor(
      async () => {
        const items = (await gallery.list(ROSA, { limit: 2 })).items.map((item) => item.path);
        return items.includes("day-3/new.png") ? items : null;
      },
      { timeoutMs: 2000, what: "the new file to be listed" },
    );
    expect(first.sort()).toEqual(["day-0/arrived_while_paging.png", "day-3/new.png"]);

    // A render still being written grows without its folder changing: its size follows.
    writeFileSync(path.join(dir, "day-3/new.png"), "new and longer");
    await waitFor(
      async () => (await gallery.list(ROSA, { limit: 2 })).items.some((item) => item.size === 14),
      {
        timeoutMs: 2000,
        what: "the grown file's size",
      },
    );
    rmSync(path.join(dir, "day-3/new.png"));
    await waitFor(
      async () => !(await gallery.list(ROSA, { limit: 2 })).items.some((i) => i.path === "day-3/new.png"),
      {
        timeoutMs: 2000,
        what: "the removed file to go",
      },
    );

    // A second walk is answered from memory after a check of the folders.
    const again = performance.now();
    await gallery.list(ROSA, { limit: 500 });
    console.info(
      `gallery: first walk of 10,000 files in 20 pages ${firstWalk.toFixed(0)} ms; a page after ${(performance.now() - again).toFixed(1)} ms`,
    );
  }, 60_000);

  it("gives kinds and picture sizes, lists no hidden files or links, and keeps each artist apart", async () => {
    const s = await studio();
    const dir = outputOf(s, ZOE);
    const now = Date.now();
    put(dir, "portrait.png", await png(300, 800), now - 4000);
    put(dir, "clip.mp4", "not really a video", now - 3000);
    put(dir, "workflow.json", "{}", now - 2000);
    put(dir, ".hidden.png", await png(10, 10), now - 1000);
    mkdirSync(path.join(dir, ".cache"));
    put(dir, ".cache/inside.png", await png(10, 10));
    symlinkSync("/etc/passwd", path.join(dir, "link.png"));
    symlinkSync(outputOf(s, ROSA), path.join(dir, "rosa"));
    put(outputOf(s, ROSA), "rosas.png", "x");
    const { items, artist, next_cursor } = await galleryOf(s).list("zoë šimić");
    expect(artist).toBe(ZOE);
    expect(next_cursor).toBeNull();
    expect(items.map(({ path: p, kind, width, height }) => ({ p, kind, width, height }))).toEqual([
      { p: "workflow.json", kind: "other", width: null, height: null },
      { p: "clip.mp4", kind: "video", width: null, height: null },
      { p: "portrait.png", kind: "image", width: 300, height: 800 },
    ]);
    // Times go through utimes as seconds: a millisecond may be lost on the way.
    expect(Math.abs(Date.parse(items[0]!.modified_at) - (now - 2000))).toBeLessThanOrEqual(1);
    expect(await statusOf(galleryOf(s).list("Nobody Here"))).toBe(404);
    expect(await statusOf(galleryOf(s).list(ROSA, { cursor: "not-a-cursor" }))).toBe(400);
  });

  it("makes a thumbnail of at most 512 px once, on the volume, and poster frames through ffmpeg", async () => {
    const s = await studio();
    const dir = outputOf(s, ROSA);
    put(dir, "wide.png", await png(2000, 1000));
    put(dir, "small.png", await png(64, 48));
    put(dir, "my clip 'one'.mp4", "video bytes");
    put(dir, "notes.txt", "hello");
    const frame = path.join(s.dirs.root, "frame.png");
    writeFileSync(frame, await png(1280, 720, "#264653"));
    const log = path.join(s.dirs.root, "ffmpeg.log");
    process.env.FAKE_FRAME = frame;
    process.env.FAKE_FFMPEG_LOG = log;
    const gallery = galleryOf(s, STANDIN_FFMPEG);

    const wide = await gallery.thumb(ROSA, "wide.png");
    if (!("file" in wide)) throw new Error("no thumbnail file");
    expect(wide.file.startsWith(path.join(s.config.stateDir, "gallery-thumbs"))).toBe(true);
    expect(await sharp(wide.file).metadata()).toMatchObject({ format: "webp", width: 512, height: 256 });
    const made = statSync(wide.file);
    const again = await gallery.thumb(ROSA, "wide.png");
    expect(again).toEqual(wide);
    expect(statSync(wide.file).mtimeMs).toBe(made.mtimeMs);
    expect(statSync(wide.file).ino).toBe(made.ino);
    // Asked ten times at once, it is made once.
    rmSync(wide.file);
    await Promise.all(Array.from({ length: 10 }, () => gallery.thumb(ROSA, "wide.png")));
    expect(existsSync(wide.file)).toBe(true);

    const small = await gallery.thumb(ROSA, "small.png");
    expect("file" in small && (await sharp(small.file).metadata()).width).toBe(64);

    const poster = await gallery.thumb(ROSA, "my clip 'one'.mp4");
    if (!("file" in poster)) throw new Error("no poster frame");
    expect(await sharp(poster.file).metadata()).toMatchObject({ width: 512, height: 288 });
    // ffmpeg got the video's path as one argument, never through a shell.
    const args = readFileSync(log, "utf8").split("\n");
    expect(args).toContain(path.join(dir, "my clip 'one'.mp4"));
    expect(args.slice(0, 4)).toEqual(["-nostdin", "-v", "error", "-i"]);
    await gallery.thumb(ROSA, "my clip 'one'.mp4");
    expect(readFileSync(log, "utf8").split("--\n").filter(Boolean)).toHaveLength(1);

    expect(await gallery.thumb(ROSA, "notes.txt")).toMatchObject({ type: "image/svg+xml" });
    process.env.FAKE_FFMPEG_FAIL = "1";
    put(dir, "broken.mp4", "broken");
    expect(await gallery.thumb(ROSA, "broken.mp4")).toMatchObject({ type: "image/svg+xml" });
    delete process.env.FAKE_FFMPEG_FAIL;
    await execa("shellcheck", [STANDIN_FFMPEG]);
  });

  it("never makes a STATE_DIR that has gone again (an icon instead)", async () => {
    const s = await studio();
    put(outputOf(s, ROSA), "late.png", await png(40, 40));
    put(outputOf(s, ROSA), "late.mp4", "video");
    rmSync(s.config.stateDir, { recursive: true, force: true });
    const gallery = galleryOf(s, STANDIN_FFMPEG);
    expect(await gallery.thumb(ROSA, "late.png")).toMatchObject({ type: "image/svg+xml" });
    expect(await gallery.thumb(ROSA, "late.mp4")).toMatchObject({ type: "image/svg+xml" });
    expect(existsSync(s.config.stateDir)).toBe(false);
  });

  it("shows an icon for videos where ffmpeg is not installed", async () => {
    const s = await studio();
    put(outputOf(s, ROSA), "clip.webm", "video");
    const thumb = await galleryOf(s, path.join(s.dirs.root, "no-such-ffmpeg")).thumb(ROSA, "clip.webm");
    expect(thumb).toMatchObject({ type: "image/svg+xml" });
    expect("icon" in thumb && thumb.icon).toMatch(/^<svg /);
  });

  it("deletes one's own files, anyone's in admin mode, and nothing when one path is wrong", async () => {
    const s = await studio();
    const dir = outputOf(s, ROSA);
    put(dir, "a.png", "a");
    put(dir, "sub/b.png", "b");
    const gallery = galleryOf(s);
    expect(await statusOf(gallery.remove(razvan, ROSA, ["a.png"]))).toBe(403);
    expect(await statusOf(gallery.remove({ ...rosa, artist: ZOE }, ROSA, ["a.png"]))).toBe(403);
    expect(await statusOf(gallery.remove(rosa, ROSA, ["a.png", "../Zoë Šimić/x.png"]))).toBe(400);
    expect(await statusOf(gallery.remove(rosa, ROSA, ["a.png", "missing.png"]))).toBe(404);
    expect(existsSync(path.join(dir, "a.png"))).toBe(true);
    expect(await gallery.remove(rosa, ROSA, ["a.png", "a.png"])).toEqual({ artist: ROSA, deleted: 1 });
    expect(await gallery.remove({ ...razvan, adminMode: true }, ROSA, ["sub/b.png"])).toEqual({
      artist: ROSA,
      deleted: 1,
    });
    expect((await gallery.list(ROSA)).items).toEqual([]);
  });
});
