/**
 * Parses `artist_names.sh`: one bash array `USERS=( ... )`, entries in double or single quotes or bare
 * words, `#` comments, a `:admin` suffix for admins. Pure: text in, users and warnings out.
 *
 * ```ts
 * parseUsersFile('USERS=( "Rosa Macak" "Razvan Matei:admin" )')
 * // { users: [{ name: "Rosa Macak", admin: false }, { name: "Razvan Matei", admin: true }], warnings: [] }
 * ```
 */

export interface User {
  name: string;
  admin: boolean;
}

export interface ParsedUsers {
  users: User[];
  warnings: string[];
}

export class UsersFileError extends Error {
  override name = "UsersFileError";
}

const NAME = /^[\p{L}\p{M}\p{N} ._'-]{1,64}$/u;

/** Why `name` cannot be a user's name (it becomes a folder name), or null when it is fine. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "it is empty";
  if ([...name].length > 64) return "it is longer than 64 characters";
  if (!NAME.test(name)) return "it has a character other than letters, digits, space, . - _ or '";
  if (name.includes("..")) return 'it contains ".."';
  if (/^[. ]+$/.test(name)) return "it is only dots and spaces";
  return null;
}

/** One word of the array: its value, line, and where its text stands in the file (`start` to `end`). */
export interface Entry {
  word: string;
  line: number;
  start: number;
  end: number;
}

/** Splits the inside of `USERS=( ... )` into words the way bash would for quoted strings. */
function words(text: string, from: number, to: number, startLine: number): Entry[] {
  const body = text.slice(0, to);
  const out: Entry[] = [];
  let i = from;
  let line = startLine;
  while (i < body.length) {
    const c = body[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "#") {
      while (i < body.length && body[i] !== "\n") i++;
    } else {
      let word = "";
      const wordLine = line;
      const start = i;
      while (i < body.length && !/[\s#]/.test(body[i]!)) {
        const ch = body[i]!;
        if (ch === "'") {
          const end = body.indexOf("'", i + 1);
          if (end < 0) throw new UsersFileError(`line ${line}: a single quote is never closed`);
          word += body.slice(i + 1, end);
          line += body.slice(i + 1, end).split("\n").length - 1;
          i = end + 1;
        } else if (ch === '"') {
          i++;
          let closed = false;
          while (i < body.length) {
            const d = body[i]!;
            if (d === '"') {
              closed = true;
              i++;
              break;
            }
            if (d === "\\" && i + 1 < body.length && '"\\$`'.includes(body[i + 1]!)) {
              word += body[i + 1];
              i += 2;
              continue;
            }
            if (d === "\n") line++;
            word += d;
            i++;
          }
          if (!closed) throw new UsersFileError(`line ${wordLine}: a double quote is never closed`);
        } else if (ch === "\\" && i + 1 < body.length) {
          word += body[i + 1];
          i += 2;
        } else {
          word += ch;
          i++;
        }
      }
      out.push({ word, line: wordLine, start, end: i });
    }
  }
  return out;
}

/** Finds the `)` that closes the array, skipping quoted text and comments. */
function closingParen(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return -1;
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      if (i >= text.length) return -1;
      i++;
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "\\") {
      i += 2;
    } else if (c === ")") {
      return i;
    } else {
      i++;
    }
  }
  return -1;
}

/** The array in the file: the offsets just after `USERS=(` and of its closing `)`, and its words. */
export interface UsersArray {
  open: number;
  close: number;
  entries: Entry[];
}

export function locateUsersArray(text: string): UsersArray {
  const start = /^[ \t]*(?:declare\s+-a\s+|export\s+)?USERS=\(/m.exec(text);
  if (!start) throw new UsersFileError("no USERS=( ... ) array was found");
  const open = start.index + start[0].length;
  const close = closingParen(text, open);
  if (close < 0) throw new UsersFileError("the USERS=( array is never closed with )");
  const firstLine = text.slice(0, open).split("\n").length;
  return { open, close, entries: words(text, open, close, firstLine) };
}

/** A word of the array as a user: its name (trimmed, NFC) and whether it ends in `:admin`. */
export function entryUser(word: string): User {
  const admin = /:admin$/i.test(word);
  return { name: (admin ? word.slice(0, -":admin".length) : word).trim().normalize("NFC"), admin };
}

/** A name as the users list compares it: trimmed, NFC, case-insensitive. */
export function nameKey(name: string): string {
  return name.trim().normalize("NFC").toLocaleLowerCase();
}

export function parseUsersFile(text: string): ParsedUsers {
  const users: User[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const { word, line } of locateUsersArray(text).entries) {
    const { name, admin } = entryUser(word);
    const problem = nameProblem(name);
    if (problem) {
      warnings.push(`Users file line ${line}: "${printable(name)}" was skipped because ${problem}.`);
      continue;
    }
    const key = nameKey(name);
    if (seen.has(key)) {
      warnings.push(`Users file line ${line}: "${name}" is listed twice; the first entry is kept.`);
      continue;
    }
    seen.add(key);
    users.push({ name, admin });
  }
  return { users, warnings };
}

/** Shows control characters as \uXXXX so a warning stays one readable line. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).slice(0, 80);
}

/** Finds the user a request names: trimmed, case-insensitive. */
export function findUser(users: readonly User[], requested: string): User | undefined {
  const key = nameKey(requested);
  return users.find((user) => nameKey(user.name) === key);
}
