/**
 * Each artist's own ComfyUI user (ComfyUI's `--multi-user`, see its app/user_manager.py). ComfyUI reads
 * `{user dir}/users.json` (`{ id: name }`) once when it starts, and `POST /users` makes a user in its memory
 * and rewrites the whole file from that memory. Every instance shares one user folder, so an instance
 * making a user drops from the file every id it never knew of: the file is only ComfyUI's input.
 *
 * The studio keeps the map of every artist's id itself (in memory and in `keep`, a file of its own, the
 * same shape), and after every change writes it back into users.json, keeping ids it does not know of.
 * Before an instance starts, every artist without an id gets one there (and ComfyUI's `default`, which
 * requests without an artist use); an artist added while ComfyUI runs is made through ComfyUI's own
 * `POST /users` on their instance. One change at a time, so two never race. Ids look like ComfyUI's own:
 * the name with every run of characters other than `[a-zA-Z0-9-_]` made `-`, `_`, a UUID.
 *
 * With several instances the studio also knows which ids each instance knows (see comfy-known.ts).
 */
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import pLimit from "p-limit";
import type { Logger } from "pino";
import { readRegularFile, writeFileAtomic } from "../state/atomic.js";
import { onlyNames, postUser } from "./comfy-api.js";
import { InstanceKnowledge, type Instance } from "./comfy-known.js";

export const DEFAULT_COMFY_USER = "default";

export const comfyUserId = (name: string) => `${name.replace(/[^a-zA-Z0-9-_]+/g, "-")}_${randomUUID()}`;

export interface ComfyUsersOptions {
  /** ComfyUI's users.json. */
  file: string;
  /** The studio's own copy of every id it knows. */
  keep: string;
  logger: Logger;
}

export class ComfyUsers {
  /** artist name -> ComfyUI user id: every id the studio knows. */
  private readonly ids = new Map<string, string>();
  private readonly creating = new Map<string, Promise<string>>();
  /** One change of the ids or of users.json at a time. */
  private readonly serial = pLimit(1);
  private loading: Promise<void> | undefined;
  private readonly known: InstanceKnowledge;

  constructor(private readonly options: ComfyUsersOptions) {
    this.known = new InstanceKnowledge(options.logger, (users) =>
      this.serial(() => this.learnAndWrite(users)),
    );
  }

  private async read(file: string): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readRegularFile(file));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return onlyNames(parsed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.options.logger.warn(
          { err: error, file },
          "a file of ComfyUI's users is unreadable; it is written anew",
        );
    }
    return {};
  }

  /** Adds the artists of `users` the studio has no id for; true when it learned any. */
  private learn(users: Record<string, string>): boolean {
    let learned = false;
    for (const [id, name] of Object.entries(users)) {
      if (this.ids.has(name)) continue;
      this.ids.set(name, id);
      learned = true;
    }
    return learned;
  }

  /** Reads the studio's copy, then users.json (once; the studio calls it as it starts). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      this.learn(await this.read(this.options.keep));
      if (this.learn(await this.read(this.options.file))) await this.keep();
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async keep(): Promise<void> {
    await fs.mkdir(path.dirname(this.options.keep), { recursive: true });
    await writeFileAtomic(this.options.keep, JSON.stringify(this.asUsers()));
  }

  private asUsers(): Record<string, string> {
    return Object.fromEntries([...this.ids].map(([name, id]) => [id, name]));
  }

  /** Writes every id the studio knows into users.json (atomic), keeping the ids it does not know of. */
  private async merge(): Promise<Record<string, string>> {
    const file = await this.read(this.options.file);
    const merged = { ...file, ...this.asUsers() };
    if (Object.entries(merged).some(([id, name]) => !Object.hasOwn(file, id) || file[id] !== name)) {
      await fs.mkdir(path.dirname(this.options.file), { recursive: true });
      await writeFileAtomic(this.options.file, JSON.stringify(merged));
    }
    return merged;
  }

  private async learnAndWrite(users: Record<string, string>): Promise<void> {
    await this.load();
    if (!this.learn(users)) return;
    await this.keep();
    await this.merge();
  }

  /** Gives `default` and every artist an id and writes them all into users.json: before instance `index` starts. */
  prepare(artists: readonly string[], index = 0): Promise<void> {
    return this.serial(async () => {
      await this.load();
      const before = this.ids.size;
      this.ids.set(DEFAULT_COMFY_USER, this.ids.get(DEFAULT_COMFY_USER) ?? DEFAULT_COMFY_USER);
      for (const artist of artists) if (!this.ids.has(artist)) this.ids.set(artist, comfyUserId(artist));
      if (this.ids.size !== before) await this.keep();
      this.known.prepared(index, Object.keys(await this.merge()));
    });
  }

  /** The artist's ComfyUI user id, if they have one. */
  idOf(artist: string): string | undefined {
    return this.ids.get(artist);
  }

  /** Whether `instance` (number `index`) may take the artist: see InstanceKnowledge.fits. */
  fits(artist: string, index: number, instance: Instance): boolean {
    return this.known.fits(this.ids.get(artist), index, instance);
  }

  /** Learns which users each ready instance knows, where not yet known for its run. */
  async survey(instances: readonly Instance[]): Promise<void> {
    await this.load();
    await this.known.survey(instances);
  }

  /** The id of the artist's ComfyUI user, made on instance `index` (at `port`) when they have none. */
  async idFor(artist: string, index: number, port: number): Promise<string> {
    const known = this.ids.get(artist);
    if (known) return known;
    let pending = this.creating.get(artist);
    if (!pending) {
      pending = this.create(artist, index, port).finally(() => this.creating.delete(artist));
      this.creating.set(artist, pending);
    }
    return await pending;
  }

  private create(artist: string, index: number, port: number): Promise<string> {
    return this.serial(async () => {
      await this.load();
      // An artist users.json names already (written outside the studio since it was read) keeps that id.
      if (this.learn(await this.read(this.options.file))) await this.keep();
      const known = this.ids.get(artist);
      if (known) return known;
      const id = await postUser(port, artist);
      this.ids.set(artist, id);
      this.known.created(index, id);
      await this.keep();
      await this.merge();
      this.options.logger.info({ artist, instance: index }, "a ComfyUI user was made for an artist");
      return id;
    });
  }
}
