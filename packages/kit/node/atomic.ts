/**
 * Whole-file writes: the data goes to a temp file in the same folder, is flushed, then renamed over the old
 * file, so a crash or a full disk never leaves a half-written file (the old one survives). The rename
 * replaces a link at `file` rather than writing through it.
 *
 * ```ts
 * await writeFileAtomic(path.join(stateDir, "settings.json"), json, 0o600);
 * ```
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, "wx", mode);
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask must not loosen a 0600 file
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
