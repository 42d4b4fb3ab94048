/**
 * Changes to the users file from the page: add, remove, rename, make or unmake an admin. The file is
 * edited as text, touching only the entry concerned (comments, order, quoting and every other entry stay
 * as they were), written atomically (temp file and rename) and read back by the store at once.
 *
 * ```ts
 * const editor = new UsersEditor(config.usersFile, users);
 * await editor.apply({ action: "add", name: "Ana Horvat" });
 * await editor.apply({ action: "set_admin", name: "ana horvat", is_admin: true });
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../config/root.js";
import { writeFileAtomic } from "../state/atomic.js";
import { badRequest, conflict, notFound } from "../util/errors.js";
import {
  entryUser,
  locateUsersArray,
  nameKey,
  nameProblem,
  UsersFileError,
  type Entry,
  type User,
} from "./parse.js";
import type { UserStore } from "./store.js";

export const USERS_ACTIONS = ["add", "remove", "rename", "set_admin"] as const;

export type UsersAction =
  | { action: "add"; name: string; is_admin?: boolean }
  | { action: "remove"; name: string }
  | { action: "rename"; name: string; new_name: string }
  | { action: "set_admin"; name: string; is_admin: boolean };

/** The users file the studio ships: a new users file is this one with an empty list. */
export const SHIPPED_USERS_FILE = path.join(REPO_ROOT, "artist_names.sh");

/** The text of a new users file (when there is none yet): the shipped one's comments and code, no users. */
export async function newUsersFile(shipped = SHIPPED_USERS_FILE): Promise<string> {
  try {
    const text = await fs.readFile(shipped, "utf8");
    const { open, close } = locateUsersArray(text);
    return `${text.slice(0, open)}\n${text.slice(close)}`;
  } catch {
    return "USERS=(\n)\n";
  }
}

interface Listed extends Entry {
  user: User;
}

/** The entries that count (valid names, first of each), and every entry with the same name after them. */
function listed(entries: Entry[]): { users: Listed[]; repeats: Listed[] } {
  const users: Listed[] = [];
  const repeats: Listed[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const user = entryUser(entry.word);
    if (nameProblem(user.name)) continue;
    const key = nameKey(user.name);
    (seen.has(key) ? repeats : users).push({ ...entry, user });
    seen.add(key);
  }
  return { users, repeats };
}

/** An entry's text in the quoting `like` uses (double quotes when that quoting cannot hold the name). */
function entryText(user: User, like: string | undefined): string {
  const word = `${user.name}${user.admin ? ":admin" : ""}`;
  if (like?.startsWith("'") && !word.includes("'")) return `'${word}'`;
  if (like !== undefined && !/^["']/.test(like) && /^[\p{L}\p{M}\p{N}._:-]+$/u.test(word)) return word;
  return `"${word}"`;
}

/** Removes the text from `start` to `end`; the whole line when nothing else but a comment is on it. */
function cut(text: string, start: number, end: number): string {
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const newline = text.indexOf("\n", end);
  const lineEnd = newline < 0 ? text.length : newline;
  const before = text.slice(lineStart, start);
  const after = text.slice(end, lineEnd);
  if (before.trim() === "" && (after.trim() === "" || after.trim().startsWith("#"))) {
    return text.slice(0, lineStart) + text.slice(newline < 0 ? lineEnd : lineEnd + 1);
  }
  // Other words share the line: take the word and the blanks after it (or before it, at the end).
  const trailing = /^[ \t]*/.exec(after)![0].length;
  if (trailing > 0 && end + trailing < lineEnd) return text.slice(0, start) + text.slice(end + trailing);
  const leading = before.length - before.trimEnd().length;
  return text.slice(0, start - leading) + text.slice(end);
}

/** Adds an entry after the last one, on a line of its own when the array spans lines. */
function insert(text: string, open: number, close: number, last: Entry | undefined, entry: string): string {
  const inside = text.slice(open, close);
  if (!inside.includes("\n")) {
    const at = close;
    const spaced = /\s$/.test(inside) ? `${entry} ` : inside.trim() === "" ? entry : ` ${entry}`;
    return text.slice(0, at) + spaced + text.slice(at);
  }
  if (!last) return `${text.slice(0, open)}\n  ${entry}${text.slice(open)}`;
  const lineStart = text.lastIndexOf("\n", last.start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const newline = text.indexOf("\n", last.end);
  if (newline < 0 || newline > close) return `${text.slice(0, last.end)} ${entry}${text.slice(last.end)}`;
  return `${text.slice(0, newline)}\n${indent}${entry}${text.slice(newline)}`;
}

function checkName(name: string, what: string): string {
  const clean = name.trim().normalize("NFC");
  const problem = nameProblem(clean);
  if (problem) throw badRequest(`${what} "${clean.slice(0, 80)}" cannot be used: ${problem}.`);
  return clean;
}

/** Applies `change` to the text of a users file; throws a 400, 404 or 409 StudioError when it may not. */
export function editUsersText(text: string, change: UsersAction): string {
  const array = locateUsersArray(text);
  const { users, repeats } = listed(array.entries);
  const find = (name: string) => users.find((entry) => nameKey(entry.user.name) === nameKey(name));
  const taken = (name: string, except?: Listed) => {
    const other = find(name);
    if (other && other !== except) throw badRequest(`"${other.user.name}" is already on the list.`);
  };
  const admins = users.filter((entry) => entry.user.admin);
  const lastAdmin = (entry: Listed) => entry.user.admin && admins.length === 1;

  if (change.action === "add") {
    const name = checkName(change.name, "The name");
    taken(name);
    const last = array.entries.at(-1);
    const like = users.at(-1) ?? last;
    const entry = entryText(
      { name, admin: change.is_admin === true },
      like && text.slice(like.start, like.end),
    );
    return insert(text, array.open, array.close, last, entry);
  }

  const entry = find(change.name);
  if (!entry) throw notFound(`"${change.name.trim().slice(0, 80)}" is not on the list of users.`);
  const original = text.slice(entry.start, entry.end);
  const replace = (user: User) =>
    text.slice(0, entry.start) + entryText(user, original) + text.slice(entry.end);

  switch (change.action) {
    case "remove": {
      if (lastAdmin(entry))
        throw conflict(`${entry.user.name} is the last admin: make someone else an admin first.`);
      // Later entries with the same name were ignored; they go too, or they would take its place.
      const gone = [entry, ...repeats.filter((r) => nameKey(r.user.name) === nameKey(entry.user.name))];
      return gone.sort((a, b) => b.start - a.start).reduce((next, r) => cut(next, r.start, r.end), text);
    }
    case "rename": {
      const name = checkName(change.new_name, "The new name");
      taken(name, entry);
      return replace({ name, admin: entry.user.admin });
    }
    case "set_admin": {
      if (entry.user.admin === change.is_admin) return text;
      if (!change.is_admin && lastAdmin(entry))
        throw conflict(`${entry.user.name} is the last admin: make someone else an admin first.`);
      return replace({ name: entry.user.name, admin: change.is_admin });
    }
  }
}

/** Applies changes to the users file one at a time and has the store read the result. */
export class UsersEditor {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly store: UserStore,
  ) {}

  apply(change: UsersAction): Promise<readonly User[]> {
    const next = this.chain.then(() => this.write(change));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(change: UsersAction): Promise<readonly User[]> {
    // A users file kept behind a link (on the volume) is written where the link points.
    const target = await fs.realpath(this.file).catch(() => this.file);
    let text: string;
    let mode = 0o644;
    try {
      text = await fs.readFile(target, "utf8");
      mode = (await fs.stat(target)).mode & 0o777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      text = await newUsersFile();
    }
    let changed: string;
    try {
      changed = editUsersText(text, change);
    } catch (error) {
      if (!(error instanceof UsersFileError)) throw error;
      throw conflict(`The users file is broken (${error.message}); fix it by hand first.`);
    }
    if (changed !== text) {
      await writeFileAtomic(target, changed, mode);
      await this.store.reload();
    }
    return this.store.users;
  }
}
