/**
 * The users list, kept in step with `artist_names.sh`: read at start, watched with chokidar and a stat poll
 * (which catches what the watcher misses), an edit applied within a moment. A broken edit (or a deleted
 * file) keeps the last good list and says why.
 *
 * ```ts
 * const users = new UserStore({ file, outputRoot, logger });
 * await users.start();
 * users.find("rosa macak")?.name; // "Rosa Macak"
 * ```
 */
import { promises as fs, unwatchFile, watchFile } from "node:fs";
import chokidar, { type FSWatcher } from "chokidar";
import type { Logger } from "pino";
import { resolveInside } from "@comfystudio/kit/paths";
import { findUser, parseUsersFile, type User } from "./parse.js";

/** How often the users file is checked besides the watcher. */
const POLL_MS = 1_000;

export interface UserStoreOptions {
  file: string;
  /** `$WORKSPACE_DIR/ComfyUI/output`: every user gets a folder here. */
  outputRoot: string;
  logger: Logger;
  /** Milliseconds to wait after a change before reading (editors write in steps). */
  debounceMs?: number;
}

export class UserStore {
  private list: User[] = [];
  private parseWarnings: string[] = [];
  private fileError: string | null = null;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Bumped on every successful reload; tests and the page can watch it. */
  version = 0;

  constructor(private readonly options: UserStoreOptions) {}

  get users(): readonly User[] {
    return this.list;
  }

  get names(): string[] {
    return this.list.map((user) => user.name);
  }

  get admins(): string[] {
    return this.list.filter((user) => user.admin).map((user) => user.name);
  }

  find(name: string): User | undefined {
    return findUser(this.list, name);
  }

  /** Sentences for /debug and the page: skipped names, a broken or missing file. */
  get warnings(): string[] {
    return this.fileError ? [this.fileError, ...this.parseWarnings] : [...this.parseWarnings];
  }

  async start(): Promise<void> {
    await this.reload();
    this.watcher = chokidar.watch(this.options.file, { ignoreInitial: true, persistent: false });
    this.watcher.on("all", () => this.schedule());
    this.watcher.on("error", (error) => this.options.logger.warn({ err: error }, "users file watcher error"));
    await new Promise<void>((resolve) => this.watcher!.once("ready", () => resolve()));
    // The watcher can miss an event (two changes within a few milliseconds, a mode change): a stat poll
    // makes sure every change is seen within a second.
    watchFile(this.options.file, { interval: POLL_MS, persistent: false }, this.polled);
  }

  private readonly polled = () => this.schedule();

  async stop(): Promise<void> {
    this.stopped = true;
    unwatchFile(this.options.file, this.polled);
    clearTimeout(this.timer);
    await this.watcher?.close();
    // A reload under way (after an edit from the page) ends before the studio is gone.
    await this.loading;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 150);
  }

  /** Reads the file again; serialised so two reloads never interleave. */
  reload(): Promise<void> {
    this.loading = this.loading.then(() => this.load());
    return this.loading;
  }

  private async load(): Promise<void> {
    const { file, logger } = this.options;
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (error as Error).message;
      this.fileError =
        this.version === 0
          ? `The users file ${file} could not be read (${reason}): nobody can pick a name until it is fixed.`
          : `The users file ${file} could not be read (${reason}); the last good list of ${this.list.length} users is kept.`;
      logger.warn({ file }, this.fileError);
      return;
    }
    if (this.stopped) return;
    try {
      const parsed = parseUsersFile(text);
      await this.createOutputFolders(parsed.users);
      this.list = parsed.users;
      this.parseWarnings = parsed.warnings;
      this.fileError = null;
      this.version++;
      for (const warning of parsed.warnings) logger.warn(warning);
      logger.info({ users: this.list.length, admins: this.admins.length }, "users loaded");
    } catch (error) {
      const keep =
        this.version === 0
          ? "nobody can pick a name"
          : `the last good list of ${this.list.length} users is kept`;
      this.fileError = `The users file ${file} is broken (${(error as Error).message}); ${keep} until it is fixed.`;
      logger.warn({ file }, this.fileError);
    }
  }

  /** Every user's output folder, created and never deleted. */
  outputDir(name: string): string {
    return resolveInside(this.options.outputRoot, name);
  }

  private async createOutputFolders(users: readonly User[]): Promise<void> {
    for (const user of users) {
      try {
        await fs.mkdir(this.outputDir(user.name), { recursive: true });
      } catch (error) {
        this.options.logger.warn({ err: error, user: user.name }, "could not create an output folder");
      }
    }
  }
}
