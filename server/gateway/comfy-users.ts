/**
 * Each artist's own ComfyUI user (ComfyUI's `--multi-user`, see its app/user_manager.py): users live in
 * `{user dir}/users.json` as `{ id: name }`, read by ComfyUI when it starts. Before an instance starts, the
 * studio writes every artist (and ComfyUI's `default`, which requests without an artist use) into that
 * file, keeping the ids it already has, so every instance knows every artist. An artist added while
 * ComfyUI runs is made through ComfyUI's own `POST /users` on their instance. Ids look like ComfyUI's own:
 * the name with every run of characters other than `[a-zA-Z0-9-_]` made `-`, `_`, a UUID.
 */
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { Logger } from "pino";
import { writeFileAtomic } from "../state/atomic.js";

export const DEFAULT_COMFY_USER = "default";

export const comfyUserId = (name: string) => `${name.replace(/[^a-zA-Z0-9-_]+/g, "-")}_${randomUUID()}`;

export class ComfyUsers {
  /** artist name -> ComfyUI user id */
  private ids = new Map<string, string>();
  private creating = new Map<string, Promise<string>>();

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  private async read(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(this.file, "utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        return Object.fromEntries(
          Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
        );
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.logger.warn(
          { err: error, file: this.file },
          "ComfyUI's users.json is unreadable; it is written anew",
        );
    }
    return {};
  }

  private learn(users: Record<string, string>): void {
    this.ids = new Map(Object.entries(users).map(([id, name]) => [name, id]));
  }

  /** Writes `default` and every artist into users.json (keeping known ids): called before an instance starts. */
  async prepare(artists: readonly string[]): Promise<void> {
    const users = await this.read();
    const known = new Set(Object.values(users));
    let changed = false;
    if (users[DEFAULT_COMFY_USER] === undefined) {
      users[DEFAULT_COMFY_USER] = DEFAULT_COMFY_USER;
      changed = true;
    }
    for (const artist of artists) {
      if (known.has(artist)) continue;
      users[comfyUserId(artist)] = artist;
      known.add(artist);
      changed = true;
    }
    if (changed) {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, JSON.stringify(users));
    }
    this.learn(users);
  }

  /** The id of the artist's ComfyUI user, made on the running instance at `port` when it has none. */
  async idFor(artist: string, port: number): Promise<string> {
    const known = this.ids.get(artist);
    if (known) return known;
    let pending = this.creating.get(artist);
    if (!pending) {
      pending = this.create(artist, port).finally(() => this.creating.delete(artist));
      this.creating.set(artist, pending);
    }
    return await pending;
  }

  private async create(artist: string, port: number): Promise<string> {
    this.learn(await this.read());
    const known = this.ids.get(artist);
    if (known) return known;
    const id = await postUser(port, artist);
    this.ids.set(artist, id);
    this.logger.info({ artist }, "a ComfyUI user was made for an artist");
    return id;
  }
}

/** ComfyUI's own `POST /users { username }`: answers the new id as a JSON string. */
function postUser(port: number, username: string): Promise<string> {
  const body = JSON.stringify({ username });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/users",
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          try {
            const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            if (response.statusCode === 200 && typeof value === "string") return resolve(value);
          } catch {
            // answered below
          }
          reject(new Error(`ComfyUI did not make a user for ${username} (status ${response.statusCode})`));
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error("ComfyUI did not answer POST /users in time")));
    request.on("error", reject);
    request.end(body);
  });
}
