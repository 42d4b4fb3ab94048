/** Each artist's gallery: listing, files, thumbnails, zips and deletes (rules in gallery/service.ts). */
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { Gallery, MAX_LIMIT } from "../../gallery/service.js";
import { checkRelative, locateInside, MAX_PATH, openInside } from "../../gallery/paths.js";
import { sendOpened } from "../../gallery/send.js";
import { streamZip } from "../../gallery/zip.js";
import type { Studio } from "../../studio.js";
import { route } from "../middleware.js";
import { requireArtist, who } from "../session.js";
import { parse, text } from "../validate.js";

const artist = text("artist", 200).optional();
const ListQuery = z.object({
  artist,
  cursor: text("cursor", 2 * MAX_PATH).optional(),
  limit: z
    .string({ error: "limit must be given once" })
    .regex(/^\d{1,4}$/, { error: "limit must be a whole number" })
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_LIMIT, { error: `limit must be between 1 and ${MAX_LIMIT}` })
    .optional(),
});
const FileQuery = z.object({ artist, path: text("path", MAX_PATH), download: z.enum(["0", "1"]).optional() });
const ArtistQuery = z.object({ artist });
const PathsBody = z.object({
  artist,
  paths: z
    .array(text("each path", MAX_PATH), { error: "paths must be a list of paths" })
    .min(1, { error: "paths must name at least one file" })
    .max(10_000, { error: "paths may name at most 10,000 files" }),
});

export function galleryRoutes(studio: Studio): Router {
  const router = Router();
  const { users } = studio;
  const gallery = new Gallery({ users, stateDir: studio.config.stateDir, logger: studio.logger });
  /** The gallery asked for (one's own by default); only someone who picked a name may look. */
  const nameOf = (req: Request, asked: string | undefined) => {
    const me = requireArtist(req, users);
    return asked ?? me;
  };

  router.get(
    "/gallery",
    route(async (req, res) => {
      const query = parse(ListQuery, req.query);
      res.json({ success: true, ...(await gallery.list(nameOf(req, query.artist), query)) });
    }),
  );

  router.get(
    "/gallery/file",
    route(async (req, res) => {
      const query = parse(FileQuery, req.query);
      const { dir } = gallery.artist(nameOf(req, query.artist));
      const file = await openInside(dir, checkRelative(query.path));
      await sendOpened(req, res, file, { download: query.download === "1" });
    }),
  );

  router.get(
    "/gallery/thumb",
    route(async (req, res) => {
      const query = parse(FileQuery, req.query);
      const thumb = await gallery.thumb(nameOf(req, query.artist), query.path);
      res.set("Cache-Control", "private, max-age=86400");
      if ("file" in thumb) res.type(thumb.type).sendFile(thumb.file);
      else res.type(thumb.type).send(thumb.icon);
    }),
  );

  router.post(
    "/gallery/delete",
    route(async (req, res) => {
      const body = parse(PathsBody, req.body);
      const me = who(req, users);
      const result = await gallery.remove(me, nameOf(req, body.artist), body.paths);
      req.log.info({ artist: result.artist, by: me.artist, files: result.deleted }, "gallery files deleted");
      res.json({ success: true, ...result });
    }),
  );

  const zip = async (res: Response, name: string, paths: string[] | null) => {
    const all = paths === null ? await gallery.all(name) : null;
    const { artist, dir } = all ?? gallery.artist(name);
    const files = all?.paths ?? [...new Set(paths!.map(checkRelative))];
    // Every path is checked before the first byte, so a wrong one is a clear answer, not a broken zip.
    if (!all) await Promise.all(files.map((rel) => locateInside(dir, rel)));
    res.type("application/zip").attachment(`${artist}${all ? "" : " selection"}.zip`);
    res.set("Cache-Control", "no-store");
    await streamZip(dir, artist, files, res);
  };

  router.post(
    "/gallery/zip",
    route(async (req, res) => {
      const body = parse(PathsBody, req.body);
      await zip(res, nameOf(req, body.artist), body.paths);
    }),
  );

  router.get(
    "/gallery/zip",
    route(async (req, res) => {
      const query = parse(ArtistQuery, req.query);
      await zip(res, nameOf(req, query.artist), null);
    }),
  );

  return router;
}
