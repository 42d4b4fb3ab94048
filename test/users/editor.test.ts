/**
 * The users file edited from the page: only the entry concerned changes, comments, order and quoting of
 * the rest stay, and the result is still a bash file that creates the output folders.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { findRepoRoot } from "../../server/config.js";
import { editUsersText, newUsersFile, type UsersAction } from "../../server/users/editor.js";
import { parseUsersFile } from "../../server/users/parse.js";
import { StudioError } from "../../server/util/errors.js";

const SHIPPED = readFileSync(path.join(findRepoRoot(), "artist_names.sh"), "utf8");

const apply = (text: string, ...changes: UsersAction[]) =>
  changes.reduce((current, change) => editUsersText(current, change), text);

const users = (text: string) => parseUsersFile(text).users;

function statusOf(run: () => unknown): number | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof StudioError) return error.status;
    throw error;
  }
}

const temp: string[] = [];
afterEach(() => {
  for (const dir of temp.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the file with bash as an admin would; answers the folders it made and what it printed. */
async function runWithBash(text: string): Promise<{ folders: string[]; stdout: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "users-bash-"));
  temp.push(dir);
  const file = path.join(dir, "artist_names.sh");
  writeFileSync(file, text);
  const { stdout } = await execa("bash", [file], { env: { WORKSPACE_DIR: dir } });
  const root = path.join(dir, "ComfyUI", "output");
  return { folders: existsSync(root) ? readdirSync(root).sort() : [], stdout };
}

describe("editing the users file", () => {
  it("adds a user on a line of its own, in the file's quoting, keeping everything else", () => {
    const text = apply(SHIPPED, { action: "add", name: "  Karlo Babić " });
    expect(text.replace("\n  'Karlo Babić'", "")).toBe(SHIPPED);
    expect(users(text).map((user) => user.name)).toEqual([
      "Rosa Macak Cizmesija",
      "Razvan Matei",
      "Ana Horvat",
      "Luka Novak",
      "Karlo Babić",
    ]);
    // A name the last entry's single quotes cannot hold gets double quotes.
    expect(apply(text, { action: "add", name: "Seán O'Brien", is_admin: true })).toContain(
      `  'Karlo Babić'\n  "Seán O'Brien:admin"\n)`,
    );
  });

  it("adds after a trailing comment, into a one-line array and into an empty one", async () => {
    expect(apply('USERS=(\n  "Rosa"  # the boss\n)\n', { action: "add", name: "Ana" })).toBe(
      'USERS=(\n  "Rosa"  # the boss\n  "Ana"\n)\n',
    );
    expect(apply('USERS=( "Rosa" )', { action: "add", name: "Ana" })).toBe('USERS=( "Rosa" "Ana" )');
    expect(apply('USERS=("Rosa")', { action: "add", name: "Ana" })).toBe('USERS=("Rosa" "Ana")');
    expect(apply("USERS=()", { action: "add", name: "Ana" })).toBe('USERS=("Ana")');
    expect(apply("USERS=(Rosa)", { action: "add", name: "Ana_2" })).toBe("USERS=(Rosa Ana_2)");
    // A new file is the shipped one without its users.
    const fresh = await newUsersFile();
    expect(users(fresh)).toEqual([]);
    expect(fresh).toContain("# When run directly: create each user's output folder.");
    expect(apply(fresh, { action: "add", name: "Ana", is_admin: true })).toContain(
      'USERS=(\n  "Ana:admin"\n)',
    );
  });

  it("removes an entry with its line and its own comment; other lines and comments stay", () => {
    const text = '# team\nUSERS=(\n  # leads\n  "Rosa:admin"\n  "Ana"   # new\n  "Luka" "Iva"\n)\n';
    expect(apply(text, { action: "remove", name: "ana" })).toBe(
      '# team\nUSERS=(\n  # leads\n  "Rosa:admin"\n  "Luka" "Iva"\n)\n',
    );
    expect(apply(text, { action: "remove", name: "Luka" })).toContain('\n  "Iva"\n');
    expect(apply(text, { action: "remove", name: "Iva" })).toContain('\n  "Luka"\n');
    // A second entry of the same name was ignored; it goes too, so the name is really gone.
    const twice = 'USERS=(\n  "Ana"\n  "Rosa:admin"\n  "ana"\n)\n';
    expect(users(apply(twice, { action: "remove", name: "Ana" })).map((user) => user.name)).toEqual(["Rosa"]);
  });

  it("renames and sets admin in place, keeping each entry's quotes", () => {
    let text = apply(SHIPPED, { action: "rename", name: "luka novak", new_name: "Luka Novak-Perić" });
    expect(text).toContain("  'Luka Novak-Perić'\n");
    text = apply(text, { action: "set_admin", name: "Ana Horvat", is_admin: true });
    expect(text).toContain('  "Ana Horvat:admin"\n');
    text = apply(text, { action: "set_admin", name: "Razvan Matei", is_admin: false });
    expect(text).toContain('  "Razvan Matei"\n');
    // Only the entries changed: the comments and the bash code around the array are as shipped.
    expect(
      text
        .split("\n")
        .filter((line) => !line.startsWith("  "))
        .join("\n"),
    ).toBe(
      SHIPPED.split("\n")
        .filter((line) => !line.startsWith("  "))
        .join("\n"),
    );
    // Renaming to another case of the same name is fine; a rename does not change the admin mark.
    expect(apply(text, { action: "rename", name: "ana horvat", new_name: "ANA Horvat" })).toContain(
      '"ANA Horvat:admin"',
    );
  });

  it("refuses bad, taken and missing names, and leaves the last admin", () => {
    const cases: [UsersAction, number][] = [
      [{ action: "add", name: "../etc" }, 400],
      [{ action: "add", name: "a/b" }, 400],
      [{ action: "add", name: "" }, 400],
      [{ action: "add", name: "x".repeat(65) }, 400],
      [{ action: "add", name: 'Bad"Quote' }, 400],
      [{ action: "add", name: "$(reboot)" }, 400],
      [{ action: "add", name: "ana horvat" }, 400],
      [{ action: "rename", name: "Ana Horvat", new_name: "Luka Novak" }, 400],
      [{ action: "rename", name: "Ana Horvat", new_name: "a\nb" }, 400],
      [{ action: "remove", name: "Nobody" }, 404],
      [{ action: "rename", name: "Nobody", new_name: "Somebody" }, 404],
      [{ action: "set_admin", name: "Nobody", is_admin: true }, 404],
      [{ action: "remove", name: "Razvan Matei" }, 409],
      [{ action: "set_admin", name: "razvan matei", is_admin: false }, 409],
    ];
    for (const [change, status] of cases) {
      expect({ change, status: statusOf(() => editUsersText(SHIPPED, change)) }).toEqual({ change, status });
    }
    // With a second admin, the first may go.
    const two = apply(SHIPPED, { action: "set_admin", name: "Ana Horvat", is_admin: true });
    expect(users(apply(two, { action: "remove", name: "Razvan Matei" })).filter((u) => u.admin)).toEqual([
      { name: "Ana Horvat", admin: true },
    ]);
  });

  it("stays a bash file that creates every user's output folder, and passes shellcheck", async () => {
    const text = apply(
      SHIPPED,
      { action: "add", name: "Zoë Šimić" },
      { action: "add", name: "Seán O'Brien", is_admin: true },
      { action: "remove", name: "Ana Horvat" },
      { action: "rename", name: "Rosa Macak Cizmesija", new_name: "Rosa Macak" },
      { action: "set_admin", name: "Luka Novak", is_admin: true },
    );
    const { folders, stdout } = await runWithBash(text);
    const names = users(text).map((user) => user.name);
    expect(folders).toEqual([...names].sort());
    expect(stdout.trim().split("\n")).toHaveLength(names.length);
    await execa("shellcheck", ["-s", "bash", "-"], { input: text });
    await execa("bash", ["-n"], { input: text });
  });
});
