import { describe, expect, it } from "vitest";
import { findUser, nameProblem, parseUsersFile, UsersFileError } from "../../server/users/parse.js";

describe("parseUsersFile", () => {
  const cases: [string, string, { name: string; admin: boolean }[], number][] = [
    [
      "double and single quotes",
      `USERS=( "Rosa Macak" 'Ana Horvat' )`,
      [
        { name: "Rosa Macak", admin: false },
        { name: "Ana Horvat", admin: false },
      ],
      0,
    ],
    ["admin suffix", `USERS=("Razvan Matei:admin")`, [{ name: "Razvan Matei", admin: true }], 0],
    [
      "comments, blank lines, multi-line",
      `#!/usr/bin/env bash\n# team\nUSERS=(\n  # leads\n  "Rosa"   # the boss\n\n  "Luka:admin"\n)\necho done\n`,
      [
        { name: "Rosa", admin: false },
        { name: "Luka", admin: true },
      ],
      0,
    ],
    [
      "unicode letters and apostrophes",
      `USERS=( "Zoë Šimić" "O'Brien" "李小龙" "José-María_2" )`,
      [
        { name: "Zoë Šimić", admin: false },
        { name: "O'Brien", admin: false },
        { name: "李小龙", admin: false },
        { name: "José-María_2", admin: false },
      ],
      0,
    ],
    [
      "bare words",
      `USERS=(Rosa Ana:admin)`,
      [
        { name: "Rosa", admin: false },
        { name: "Ana", admin: true },
      ],
      0,
    ],
    [
      "slash, dots, shell and control characters are skipped",
      `USERS=( "a/b" ".." "x..y" "$(rm -rf /)" "ok" "tab\there" "back\`tick\`" )`,
      [{ name: "ok", admin: false }],
      6,
    ],
    [
      "duplicates are kept once, case-insensitively",
      `USERS=( "Rosa" "rosa:admin" "ROSA" )`,
      [{ name: "Rosa", admin: false }],
      2,
    ],
    ["names are trimmed", `USERS=( "  Rosa  " )`, [{ name: "Rosa", admin: false }], 0],
    [
      "too long",
      `USERS=( "${"a".repeat(65)}" "${"b".repeat(64)}" )`,
      [{ name: "b".repeat(64), admin: false }],
      1,
    ],
    [
      "a ) inside quotes does not end the array",
      `USERS=( "Rosa (lead)" "Ana" )`,
      [{ name: "Ana", admin: false }],
      1,
    ],
    ["escaped quote in double quotes", `USERS=( "O\\"Neil" "Bo" )`, [{ name: "Bo", admin: false }], 1],
    ["empty array", `USERS=()`, [], 0],
  ];
  for (const [title, text, users, warnings] of cases) {
    it(title, () => {
      const parsed = parseUsersFile(text);
      expect(parsed.users).toEqual(users);
      expect(parsed.warnings).toHaveLength(warnings);
    });
  }

  it("warnings name the line", () => {
    const parsed = parseUsersFile(`USERS=(\n "ok"\n "../etc"\n)`);
    expect(parsed.warnings[0]).toMatch(/line 3/);
  });

  for (const [title, text] of [
    ["no array", `NAMES=( "a" )`],
    ["unclosed array", `USERS=( "a" "b"`],
    ["unclosed double quote", `USERS=( "a )`],
    ["unclosed single quote", `USERS=( 'a )`],
  ]) {
    it(`refuses a broken file: ${title}`, () => {
      expect(() => parseUsersFile(text!)).toThrow(UsersFileError);
    });
  }

  it("nameProblem and findUser", () => {
    expect(nameProblem("Rosa")).toBeNull();
    expect(nameProblem("...")).not.toBeNull();
    expect(nameProblem("a\0b")).not.toBeNull();
    const users = parseUsersFile(`USERS=("Zoë Šimić:admin")`).users;
    expect(findUser(users, "  zoë šimić ")?.name).toBe("Zoë Šimić");
    expect(findUser(users, "Zoe Simic")).toBeUndefined();
  });
});
