/**
 * API keys for scripts and plugins: one per artist, kept in `STATE_DIR/api_keys.json` (mode 0600). A tool
 * port accepts one as `Authorization: Bearer {key}` or as a path prefix `/k/{key}/`.
 *
 * ```ts
 * await keys.forArtist("Rosa");          // made on first use
 * keys.artistOf("csk_...");              // "Rosa"
 * ```
 */
import { createHash, randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { z } from "zod";
import { JsonFile } from "../state/atomic.js";
import { parseWith } from "../state/schemas.js";

/** A key's shape: the prefix and 32 random bytes in base64url. */
export const KEY_PATTERN = /^csk_[A-Za-z0-9_-]{43}$/;

const KeysFileSchema = z.object({
  version: z.literal(1),
  keys: z.record(z.string(), z.string().regex(KEY_PATTERN)),
});
type KeysFile = z.infer<typeof KeysFileSchema>;

const digest = (key: string) => createHash("sha256").update(key).digest("base64url");

export class ApiKeys {
  private keys = new Map<string, string>();
  /** sha256 of the key -> artist: a lookup that does not compare secrets byte by byte. */
  private byDigest = new Map<string, string>();
  private readonly file: JsonFile<KeysFile>;
  warnings: string[] = [];

  constructor(
    file: string,
    private readonly logger: Logger,
  ) {
    this.file = new JsonFile(file, { mode: 0o600, validate: parseWith(KeysFileSchema) });
  }

  async load(): Promise<void> {
    const { value, warning } = await this.file.read();
    if (warning) {
      this.warnings = [warning];
      this.logger.warn(warning);
    }
    this.keys = new Map(Object.entries(value?.keys ?? {}));
    this.index();
  }

  private index(): void {
    this.byDigest = new Map([...this.keys].map(([artist, key]) => [digest(key), artist]));
  }

  private async save(): Promise<void> {
    await this.file.write({ version: 1, keys: Object.fromEntries(this.keys) });
  }

  async forArtist(artist: string): Promise<string> {
    const existing = this.keys.get(artist);
    if (existing) return existing;
    return await this.rotate(artist);
  }

  async rotate(artist: string): Promise<string> {
    const key = `csk_${randomBytes(32).toString("base64url")}`;
    const previous = this.keys.get(artist);
    this.keys.set(artist, key);
    this.index();
    try {
      await this.save();
    } catch (error) {
      if (previous) this.keys.set(artist, previous);
      else this.keys.delete(artist);
      this.index();
      throw error;
    }
    return key;
  }

  /** The artist a key belongs to, or null. */
  artistOf(key: string): string | null {
    if (!KEY_PATTERN.test(key)) return null;
    return this.byDigest.get(digest(key)) ?? null;
  }
}
