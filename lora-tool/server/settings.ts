/**
 * Auto-caption settings in `$STATE_DIR/lora-tool/settings.json` (mode 0600, written atomically).
 * The API key stays on the server: the page only ever sees `publicSettings()` (a masked hint).
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { PublicSettings } from "../api.js";
import { writeFileAtomic } from "@comfystudio/kit/atomic";

export interface CaptionSettings {
  base_url: string;
  model: string;
  api_key: string;
  /** How many requests run at once. */
  concurrency: number;
}

export const DEFAULT_SETTINGS: CaptionSettings = {
  base_url: "https://api.openai.com/v1",
  model: "gpt-4o-mini",
  api_key: "",
  concurrency: 3,
};

// eslint-disable-next-line no-control-regex
const noControl = (text: string) => !/[\u0000-\u001f\u007f]/.test(text);

const baseUrl = z
  .string()
  .trim()
  .min(1, "enter the endpoint's base URL")
  .max(500)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
      );
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL such as https://api.openai.com/v1");

export const settingsUpdateSchema = z.object({
  base_url: baseUrl.optional(),
  model: z
    .string()
    .trim()
    .min(1, "enter a model name")
    .max(200)
    .refine(noControl, "has control characters")
    .optional(),
  api_key: z
    .string()
    .trim()
    .max(1000)
    .refine((value) => !/\s/.test(value), "must not contain spaces or line breaks")
    .optional(),
  clear_api_key: z.boolean().optional(),
  concurrency: z.number().int().min(1).max(16).optional(),
});

export type SettingsUpdate = z.infer<typeof settingsUpdateSchema>;

const storedSchema = z.object({
  base_url: z.string().catch(DEFAULT_SETTINGS.base_url),
  model: z.string().catch(DEFAULT_SETTINGS.model),
  api_key: z.string().catch(""),
  concurrency: z.number().int().min(1).max(16).catch(DEFAULT_SETTINGS.concurrency),
});

/** `sk-…abcd` for a long key, `set` for a short one, `` for none. */
export function maskKey(key: string): string {
  if (key === "") return "";
  if (key.length < 16) return "set";
  return `${key.slice(0, 3)}…${key.slice(-4)}`;
}

export function publicSettings(settings: CaptionSettings): PublicSettings {
  return {
    base_url: settings.base_url,
    model: settings.model,
    concurrency: settings.concurrency,
    api_key_set: settings.api_key !== "",
    api_key_hint: maskKey(settings.api_key),
  };
}

export class SettingsStore {
  readonly file: string;
  private cached: CaptionSettings | null = null;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, "lora-tool", "settings.json");
  }

  async get(): Promise<CaptionSettings> {
    if (this.cached) return this.cached;
    let stored: unknown = {};
    try {
      stored = JSON.parse(await readFile(this.file, "utf8"));
    } catch {
      // missing or unreadable: defaults
    }
    const parsed = storedSchema.safeParse({ ...DEFAULT_SETTINGS, ...(stored as object) });
    this.cached = parsed.success ? parsed.data : { ...DEFAULT_SETTINGS };
    return this.cached;
  }

  /**
   * Saves a change. The key belongs to its endpoint: a new base URL without a key of its own drops the saved
   * one (`keyDropped`), so nobody can point the tool at a server of their choosing and have it send the key.
   */
  async update(change: SettingsUpdate): Promise<{ settings: CaptionSettings; keyDropped: boolean }> {
    const current = await this.get();
    const baseUrl = change.base_url ?? current.base_url;
    const given = change.api_key ?? "";
    const keyDropped = baseUrl !== current.base_url && given === "" && current.api_key !== "";
    const next: CaptionSettings = {
      base_url: baseUrl,
      model: change.model ?? current.model,
      concurrency: change.concurrency ?? current.concurrency,
      api_key: change.clear_api_key || keyDropped ? "" : given !== "" ? given : current.api_key,
    };
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`, 0o600);
    this.cached = next;
    return { settings: next, keyDropped };
  }
}
