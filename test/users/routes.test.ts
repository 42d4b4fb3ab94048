/** `GET /users` and `POST /users_action` over real HTTP, against a real users file in a temp folder. */
import { existsSync, lstatSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { post, signIn, useStudios } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";

const studio = useStudios();

const names = (body: { users: { name: string; is_admin: boolean }[] }) =>
  body.users.map((user) => `${user.name}${user.is_admin ? " (admin)" : ""}`);

describe("users from the page", () => {
  it("lists the users to anyone and lets only an admin in admin mode change them", async () => {
    const s = await studio();
    const nobody = s.agent();
    expect(names((await nobody.get("/users").expect(200)).body)).toEqual([
      "Rosa Macak Cizmesija",
      "Razvan Matei (admin)",
      "Zoë Šimić",
    ]);
    const add = { action: "add", name: "Karlo Babić" };
    await post(nobody, "/users_action", add).expect(403);
    await post(await signIn(s, "Zoë Šimić"), "/users_action", add).expect(403);
    await post(await signIn(s, "Razvan Matei"), "/users_action", add).expect(403);
    expect(readFileSync(s.dirs.usersFile, "utf8")).not.toContain("Karlo");

    const admin = await signIn(s, "Razvan Matei", { adminMode: true });
    const answer = (await post(admin, "/users_action", add).expect(200)).body;
    expect(names(answer)).toContain("Karlo Babić");
    // The store has it already: the new user may pick their name at once, and has an output folder.
    await post(s.agent(), "/set_artist", { artist: "karlo babić" }).expect(200);
    expect(existsSync(path.join(s.dirs.workspace, "ComfyUI", "output", "Karlo Babić"))).toBe(true);

    await post(admin, "/users_action", { action: "set_admin", name: "Karlo Babić", is_admin: true }).expect(
      200,
    );
    await post(admin, "/users_action", {
      action: "rename",
      name: "Zoë Šimić",
      new_name: "Zoë Šimić-Ban",
    }).expect(200);
    await post(admin, "/users_action", { action: "remove", name: "Rosa Macak Cizmesija" }).expect(200);
    expect(names((await nobody.get("/users").expect(200)).body)).toEqual([
      "Razvan Matei (admin)",
      "Zoë Šimić-Ban",
      "Karlo Babić (admin)",
    ]);
    // Removing a user never deletes their folder.
    expect(existsSync(path.join(s.dirs.workspace, "ComfyUI", "output", "Rosa Macak Cizmesija"))).toBe(true);
  });

  it("answers 400, 404 and 409 with a sentence and changes nothing", async () => {
    const s = await studio();
    const admin = await signIn(s, "Razvan Matei", { adminMode: true });
    const before = readFileSync(s.dirs.usersFile, "utf8");
    const cases: [unknown, number, RegExp][] = [
      [{ action: "add", name: "../../etc" }, 400, /"\.\.\/\.\.\/etc" cannot be used/],
      [{ action: "add", name: "rosa macak cizmesija" }, 400, /already on the list/],
      [
        { action: "promote", name: "Rosa" },
        400,
        /action "promote" is not one of add, remove, rename, set_admin/,
      ],
      [{ action: "rename", name: "Zoë Šimić" }, 400, /new_name is missing/],
      [{ action: "set_admin", name: "Zoë Šimić" }, 400, /is_admin is missing/],
      [{ action: "set_admin", name: "Zoë Šimić", is_admin: "yes" }, 400, /is_admin/],
      [{ action: "add" }, 400, /name is missing/],
      [["add"], 400, /JSON object/],
      [{ action: "remove", name: "Nobody Here" }, 404, /not on the list/],
      [{ action: "remove", name: "Razvan Matei" }, 409, /last admin/],
      [{ action: "set_admin", name: "Razvan Matei", is_admin: false }, 409, /last admin/],
    ];
    for (const [body, status, message] of cases) {
      const answer = await post(admin, "/users_action", body);
      expect({ body, status: answer.status }).toEqual({ body, status });
      expect(answer.body.success).toBe(false);
      expect(answer.body.message).toMatch(message);
    }
    expect(readFileSync(s.dirs.usersFile, "utf8")).toBe(before);
  });

  it("follows a hand edit within 2 s, refuses to edit a broken file, and writes through a link", async () => {
    const s = await studio();
    const admin = await signIn(s, "Razvan Matei", { adminMode: true });
    writeFileSync(s.dirs.usersFile, 'USERS=(\n  "Razvan Matei:admin"\n  "Iva Kos"\n)\n');
    await waitFor(async () => names((await admin.get("/users")).body).includes("Iva Kos"), {
      timeoutMs: 2000,
      what: "the hand edit to show",
    });

    writeFileSync(s.dirs.usersFile, 'USERS=(\n  "Razvan Matei:admin"\n  "Iva Kos\n');
    await waitFor(async () =>
      ((await admin.get("/users")).body.warnings as string[]).some((w) => /broken/.test(w)),
    );
    const broken = await post(admin, "/users_action", { action: "add", name: "Ana" }).expect(409);
    expect(broken.body.message).toMatch(/broken .*fix it by hand/);

    // A users file kept on the volume behind a link: the link stays, the file it points to changes.
    const real = path.join(s.dirs.root, "volume-users.sh");
    writeFileSync(real, 'USERS=(\n  "Razvan Matei:admin"\n)\n', { mode: 0o640 });
    renameSync(s.dirs.usersFile, `${s.dirs.usersFile}.old`);
    symlinkSync(real, s.dirs.usersFile);
    await waitFor(async () => names((await admin.get("/users")).body).join() === "Razvan Matei (admin)");
    await post(admin, "/users_action", { action: "add", name: "Ana" }).expect(200);
    expect(lstatSync(s.dirs.usersFile).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, "utf8")).toContain('"Ana"');
    expect(lstatSync(real).mode & 0o777).toBe(0o640);
  });

  it("writes a new users file, shaped like the shipped one, when the file has gone", async () => {
    const s = await studio();
    const admin = await signIn(s, "Razvan Matei", { adminMode: true });
    rmSync(s.dirs.usersFile);
    await waitFor(async () =>
      ((await admin.get("/users")).body.warnings as string[]).some((w) => /could not be read/.test(w)),
    );
    await post(admin, "/users_action", { action: "add", name: "Razvan Matei", is_admin: true }).expect(200);
    const text = readFileSync(s.dirs.usersFile, "utf8");
    expect(text).toContain('USERS=(\n  "Razvan Matei:admin"\n)');
    expect(text).toContain("# When run directly: create each user's output folder.");
    expect(names((await admin.get("/users").expect(200)).body)).toEqual(["Razvan Matei (admin)"]);
  });

  it("applies changes asked at the same moment one after another, none lost", async () => {
    const s = await studio();
    const admin = await signIn(s, "Razvan Matei", { adminMode: true });
    const added = ["Ana", "Iva", "Luka", "Mia", "Noa", "Tea"];
    await Promise.all(added.map((name) => post(admin, "/users_action", { action: "add", name }).expect(200)));
    expect(
      names((await admin.get("/users").expect(200)).body)
        .slice(3)
        .sort(),
    ).toEqual(added);
  });
});
