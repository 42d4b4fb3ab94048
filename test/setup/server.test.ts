/**
 * start_server.sh (the container's entry) and build_server.sh.
 */
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.js";
import { START_SERVER, copyEntry, standInStudio } from "./app.js";
import { REPO_ROOT, SYSTEM_PATH, type Sandbox, eachSandbox } from "./sandbox.js";

let box: Sandbox;
eachSandbox((made) => (box = made));

/** A stand-in studio whose first run crashes (exit 3). */
const crashingFirst = () =>
  standInStudio(path.join(box.root, "server"), 'if [ "$n" -eq 1 ]; then echo "crashing"; exit 3; fi');

describe("start_server.sh supervising the studio", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`restarts a studio that crashes, then passes ${signal} on and exits without restarting`, async () => {
      const server = await crashingFirst();
      const child = execa("bash", [START_SERVER], {
        env: box.env({
          STUDIO_SKIP_BUILD: "1",
          STUDIO_SERVER_CMD: server.file,
          STUDIO_RESTART_DELAY_MS: "50",
        }),
        extendEnv: false,
        reject: false,
        all: true,
      });
      await waitFor(() => server.count() === 2 && server.read("ready") !== "", {
        what: "the studio to be started a second time",
      });
      child.kill(signal);
      const result = await child;
      expect(result.exitCode, result.all).toBe(0);
      expect(server.read("events")).toBe("got TERM\n");
      expect(server.count()).toBe(2);
      expect(result.all).toContain("the studio exited with status 3");
      expect(result.all).toContain("the studio stopped (status 0)");
    });
  }

  it("refuses a STUDIO_SERVER_CMD that is not an executable", async () => {
    const result = await execa("bash", [START_SERVER], {
      env: box.env({ STUDIO_SKIP_BUILD: "1", STUDIO_SERVER_CMD: "node -e 'boom'" }),
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain("STUDIO_SERVER_CMD");
  });
});

describe("start_server.sh installing and building", () => {
  /** A copy of the studio's entry in a small app folder, so the real repository is not touched. */
  async function makeApp(): Promise<string> {
    const app = path.join(box.root, "app");
    await mkdir(path.join(app, "server"), { recursive: true });
    await copyEntry(app);
    await writeFile(path.join(app, "package.json"), '{"name":"studio","scripts":{"build":"tsc"}}');
    await writeFile(path.join(app, "package-lock.json"), '{"lockfileVersion":3}');
    await writeFile(path.join(app, "tsconfig.json"), "{}");
    await writeFile(path.join(app, "server/main.ts"), "export {};\n");
    return app;
  }
  async function prepare(app: string, option = "--prepare") {
    await box.clearCalls();
    const result = await execa("bash", [path.join(app, "start_server.sh"), option], {
      env: box.env(),
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(result.exitCode, result.all).toBe(0);
    return (await box.calls("npm")).map((call) => call.args.slice(0, 2).join(" "));
  }

  it("runs npm ci and the build only when the lock file or the sources changed", async () => {
    const app = await makeApp();
    expect(await prepare(app)).toEqual(["ci --no-audit", "run build"]);
    expect(existsSync(path.join(app, "dist/server/main.js"))).toBe(true);
    expect(await prepare(app)).toEqual([]);

    await appendFile(path.join(app, "server/main.ts"), "// changed\n");
    expect(await prepare(app)).toEqual(["run build"]);
    expect(await prepare(app)).toEqual([]);

    await writeFile(path.join(app, "package-lock.json"), '{"lockfileVersion":3,"packages":{}}');
    expect(await prepare(app)).toEqual(["ci --no-audit", "run build"]);
  });

  it("after --stamp in a pruned image, a source change installs the build tools again first", async () => {
    const app = await makeApp();
    await prepare(app);
    // What the image build does: prune the development dependencies, then record the stamps.
    await execa("npm", ["prune", "--omit=dev"], { cwd: app, env: box.env(), extendEnv: false });
    expect(await prepare(app, "--stamp")).toEqual([]);
    expect(await prepare(app)).toEqual([]);
    await appendFile(path.join(app, "server/main.ts"), "// changed\n");
    expect(await prepare(app)).toEqual(["ci --no-audit", "run build"]);
  });
});

describe("start_server.sh syncing the repository", () => {
  const gitEnv = (): Record<string, string> => ({
    PATH: SYSTEM_PATH,
    HOME: path.join(box.root, "home"),
    GIT_AUTHOR_NAME: "Studio",
    GIT_AUTHOR_EMAIL: "studio@example.com",
    GIT_COMMITTER_NAME: "Studio",
    GIT_COMMITTER_EMAIL: "studio@example.com",
    GIT_CONFIG_NOSYSTEM: "1",
  });
  const git = (cwd: string, ...args: string[]) =>
    execa("git", ["-c", "init.defaultBranch=main", ...args], { cwd, env: gitEnv(), extendEnv: false });

  async function makeRepos(): Promise<{ upstream: string; app: string }> {
    const upstream = path.join(box.root, "upstream");
    const app = path.join(box.root, "app");
    await mkdir(upstream);
    await git(upstream, "init", "-q");
    await copyEntry(upstream);
    await writeFile(path.join(upstream, "package.json"), "{}");
    await writeFile(path.join(upstream, "notes.txt"), "one\n");
    await git(upstream, "add", "-A");
    await git(upstream, "commit", "-q", "-m", "first");
    await git(box.root, "clone", "-q", upstream, app);
    await writeFile(path.join(upstream, "notes.txt"), "two\n");
    await git(upstream, "commit", "-q", "-am", "second");
    return { upstream, app };
  }
  const sync = (app: string, repoUrl: string) =>
    execa("bash", [path.join(app, "start_server.sh"), "--prepare"], {
      env: { ...gitEnv(), STUDIO_SKIP_BUILD: "1", REPO_URL: repoUrl },
      extendEnv: false,
      reject: false,
      all: true,
    });

  it("fast-forwards a clean tree", async () => {
    const { upstream, app } = await makeRepos();
    const result = await sync(app, upstream);
    expect(result.exitCode, result.all).toBe(0);
    expect(await readFile(path.join(app, "notes.txt"), "utf8")).toBe("two\n");
  });

  it("keeps local changes and says so instead of syncing", async () => {
    const { upstream, app } = await makeRepos();
    await writeFile(path.join(app, "notes.txt"), "my local edit\n");
    const result = await sync(app, upstream);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain("local changes; they are kept");
    expect(await readFile(path.join(app, "notes.txt"), "utf8")).toBe("my local edit\n");
  });

  it("never prints credentials from REPO_URL", async () => {
    const { app } = await makeRepos();
    const result = await sync(app, "https://someone:hunter2-secret@127.0.0.1:9/studio.git");
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain("could not fetch");
    expect(result.all).not.toContain("hunter2-secret");
  });
});

describe("build_server.sh", () => {
  const BUILD = path.join(REPO_ROOT, "build_server.sh");
  const build = (extra: Record<string, string>) =>
    execa("bash", [BUILD], { env: box.env(extra), extendEnv: false, reject: false, all: true });

  it("refuses with a clear message when REGISTRY is missing", async () => {
    const result = await build({});
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain("REGISTRY is not set");
    expect(await box.calls("docker")).toEqual([]);
  });

  it("refuses a bad tag", async () => {
    const result = await build({ REGISTRY: "registry.example.com/team", TAG: "bad tag;rm" });
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain("is not a valid tag");
  });

  it("builds for linux/amd64 with buildx and pushes", async () => {
    const result = await build({ REGISTRY: "registry.example.com/team/", TAG: "1.2.0" });
    expect(result.exitCode, result.all).toBe(0);
    const builds = (await box.calls("docker")).filter((call) => call.args[1] === "build");
    expect(builds.map((call) => call.args)).toEqual([
      [
        "buildx",
        "build",
        "--platform",
        "linux/amd64",
        "--tag",
        "registry.example.com/team/comfystudio:1.2.0",
        "--tag",
        "registry.example.com/team/comfystudio:latest",
        "--push",
        "--file",
        path.join(REPO_ROOT, "Dockerfile"),
        REPO_ROOT,
      ],
    ]);
  });
});
