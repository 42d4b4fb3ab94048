/**
 * start_server.sh on the pod: the users file on the volume (copied there once, never overwritten), and the
 * studio's secrets handed over in a 0600 file instead of any long-lived process's environment.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.js";
import { copyEntry, standInStudio, type StandInStudio } from "./app.js";
import { lastErrorLine, makeSandbox, type Sandbox } from "./sandbox.js";

let box: Sandbox;
let app: string;
beforeEach(async () => {
  box = await makeSandbox();
  app = path.join(box.root, "app");
  await copyEntry(app);
  await writeFile(path.join(app, "package.json"), "{}");
  await writeFile(path.join(app, "artist_names.sh"), 'USERS=(\n  "Rosa Macak Cizmesija"\n)\n');
});
afterEach(async () => {
  await box.cleanup();
});

/** Runs the app's start_server.sh with `studio` as the studio until it is ready; `stop` ends both. */
async function serve(studio: StandInStudio, extra: Record<string, string | undefined> = {}) {
  const child = execa("bash", [path.join(app, "start_server.sh")], {
    env: box.env({
      STUDIO_SKIP_BUILD: "1",
      STUDIO_SERVER_CMD: studio.file,
      STUDIO_RESTART_DELAY_MS: "50",
      ...extra,
    }),
    extendEnv: false,
    reject: false,
    all: true,
  });
  const started = studio.count();
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error("start_server.sh exited");
      return studio.count() > started && studio.read("ready") !== "";
    },
    { what: "the studio to start" },
  );
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill("SIGTERM");
      return await child;
    },
  };
}

describe("the users file on the volume", () => {
  it("is copied to the volume on the first start and never overwritten after", async () => {
    const studio = await standInStudio(
      path.join(box.root, "studio"),
      'printf "%s" "${USERS_FILE:-}" > users_file',
    );
    let server = await serve(studio);
    await server.stop();
    const file = box.ws("artist_names.sh");
    expect(studio.read("users_file")).toBe(file);
    expect(readFileSync(file, "utf8")).toBe(readFileSync(path.join(app, "artist_names.sh"), "utf8"));

    // An admin's edit survives a restart with a new image.
    await writeFile(file, 'USERS=(\n  "Razvan Matei:admin"\n)\n');
    await writeFile(path.join(app, "artist_names.sh"), 'USERS=(\n  "Someone Else"\n)\n');
    await writeFile(path.join(studio.dir, "ready"), "");
    server = await serve(studio);
    const result = await server.stop();
    expect(readFileSync(file, "utf8")).toBe('USERS=(\n  "Razvan Matei:admin"\n)\n');
    expect(result.all).toContain(`the users file is ${file}`);
  });

  it("stays where USERS_FILE says, and in the repository when the workspace is inside it", async () => {
    const studio = await standInStudio(
      path.join(box.root, "studio"),
      'printf "%s" "${USERS_FILE:-}" > users_file',
    );
    let server = await serve(studio, { USERS_FILE: path.join(box.root, "mine.sh") });
    await server.stop();
    expect(studio.read("users_file")).toBe(path.join(box.root, "mine.sh"));

    const inside = path.join(app, "workspace");
    await mkdir(inside);
    await writeFile(path.join(studio.dir, "ready"), "");
    server = await serve(studio, { WORKSPACE_DIR: inside });
    await server.stop();
    expect(studio.read("users_file")).toBe("");
    expect(readdirSync(inside)).toEqual([]);
  });
});

describe("the studio's secrets", () => {
  const secrets = {
    STUDIO_PASSWORD: "pw-one two",
    ADMIN_PASSWORD: "adm=in=equals",
    HF_TOKEN: "hf_x'\"$(id)`;`",
  };

  /** A studio that copies its secrets file (and its mode) out, deletes it, and notes its environment. */
  const reader = () =>
    standInStudio(
      path.join(box.root, "studio"),
      [
        'cp -- "$STUDIO_SECRETS_FILE" "secrets.$n"',
        'stat -c %a -- "$STUDIO_SECRETS_FILE" > "mode.$n"',
        'printf "%s" "$STUDIO_SECRETS_FILE" > "path.$n"',
        'rm -f -- "$STUDIO_SECRETS_FILE"',
        'env > "env.$n"',
        'if [ "$n" -eq 1 ] && [ -n "${CRASH_FIRST:-}" ]; then exit 3; fi',
      ].join("\n"),
    );

  it("reach the studio in a 0600 file, one NAME=value a line, and no process's environment", async () => {
    const secretsDir = path.join(box.root, "secrets");
    const studio = await reader();
    const server = await serve(studio, { ...secrets, STUDIO_SECRETS_DIR: secretsDir });
    try {
      expect(studio.read("secrets.1")).toBe(
        "STUDIO_PASSWORD=pw-one two\nADMIN_PASSWORD=adm=in=equals\nHF_TOKEN=hf_x'\"$(id)`;`\n",
      );
      expect(studio.read("mode.1").trim()).toBe("600");
      expect(studio.read("path.1").startsWith(secretsDir + "/")).toBe(true);
      const studioEnv = studio.read("env.1");
      for (const [name, value] of Object.entries(secrets)) {
        expect(studioEnv).not.toContain(`${name}=`);
        // start_server.sh keeps running: its own environment holds no secret either.
        expect(readFileSync(`/proc/${server.pid}/environ`, "utf8")).not.toContain(value);
      }
      expect(readdirSync(secretsDir)).toEqual([]);
    } finally {
      const result = await server.stop();
      expect(result.exitCode, result.all).toBe(0);
      for (const value of Object.values(secrets)) expect(result.all).not.toContain(value);
    }
  });

  it("get a fresh file at each restart, and none is left behind", async () => {
    const secretsDir = path.join(box.root, "secrets");
    // This studio dies before it reads the file: start_server.sh deletes it before the next start.
    const studio = await standInStudio(
      path.join(box.root, "studio"),
      'if [ "$n" -eq 1 ]; then ls "$(dirname "$STUDIO_SECRETS_FILE")" > left.1; exit 3; fi\ncp -- "$STUDIO_SECRETS_FILE" secrets.2\nls "$(dirname "$STUDIO_SECRETS_FILE")" > left.2',
    );
    const server = await serve(studio, { STUDIO_PASSWORD: "pw", STUDIO_SECRETS_DIR: secretsDir });
    await waitFor(() => studio.count() === 2 && studio.read("left.2") !== "", { what: "the second start" });
    expect(studio.read("secrets.2")).toBe("STUDIO_PASSWORD=pw\n");
    expect(studio.read("left.2").trim().split("\n")).toHaveLength(1);
    expect(studio.read("left.1").trim()).not.toBe(studio.read("left.2").trim());
    await server.stop();
    expect(readdirSync(secretsDir)).toEqual([]);
  });

  it("refuse a secret with a line break, naming it but never its value", async () => {
    const studio = await reader();
    const result = await execa("bash", [path.join(app, "start_server.sh")], {
      env: box.env({
        STUDIO_SKIP_BUILD: "1",
        STUDIO_SERVER_CMD: studio.file,
        ADMIN_PASSWORD: "first-line\nsecond-line",
        STUDIO_SECRETS_DIR: path.join(box.root, "secrets"),
      }),
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(result.exitCode).not.toBe(0);
    expect(lastErrorLine(result.all)).toBe(
      "[start_server] error: ADMIN_PASSWORD holds a line break, which the studio's secrets file cannot carry: set it without one",
    );
    expect(result.all).not.toContain("first-line");
    expect(studio.count()).toBe(0);
    expect(readdirSync(path.join(box.root, "secrets"))).toEqual([]);
  });

  it("stay in the environment of a studio build that cannot read the file, saying so", async () => {
    await mkdir(path.join(app, "dist/server"), { recursive: true });
    const seen = path.join(box.root, "seen");
    await writeFile(
      path.join(app, "dist/server/main.js"),
      `require("node:fs").writeFileSync(${JSON.stringify(seen)}, String(process.env.STUDIO_PASSWORD));
       setInterval(() => {}, 1000); process.on("SIGTERM", () => process.exit(0));`,
    );
    const child = execa("bash", [path.join(app, "start_server.sh")], {
      env: box.env({
        STUDIO_SKIP_BUILD: "1",
        STUDIO_PASSWORD: "old-build-pw",
        PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      }),
      extendEnv: false,
      reject: false,
      all: true,
    });
    await waitFor(() => existsSync(seen) && readFileSync(seen, "utf8") !== "", {
      what: "the studio to start",
    });
    child.kill("SIGTERM");
    const result = await child;
    expect(readFileSync(seen, "utf8")).toBe("old-build-pw");
    expect(result.all).toContain("this studio build does not read STUDIO_SECRETS_FILE");
  });
});
