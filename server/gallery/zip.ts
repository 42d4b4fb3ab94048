/**
 * A zip of gallery files, streamed with yazl as it is read: each file is opened (never through a link)
 * only when its turn comes, so a zip of 10,000 files holds one open file at a time. Entries are
 * `{artist}/{path}`; pictures and videos are stored as they are (they do not compress).
 */
import { constants, promises as fs } from "node:fs";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import { worthCompressing } from "./kinds.js";
import { locateInside } from "./paths.js";

export async function streamZip(dir: string, artist: string, paths: string[], out: Writable): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const rel of paths) {
    zip.addReadStreamLazy(`${artist}/${rel}`, { compress: worthCompressing(rel) }, (done) => {
      openForZip(dir, rel).then(
        (stream) => done(null, stream),
        // A file removed since the zip began is left empty rather than breaking the whole download.
        () => done(null, Readable.from([])),
      );
    });
  }
  zip.end();
  await pipeline(zip.outputStream as Readable, out);
}

async function openForZip(dir: string, rel: string): Promise<Readable> {
  const { full } = await locateInside(dir, rel);
  const handle = await fs.open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
  return handle.createReadStream();
}
