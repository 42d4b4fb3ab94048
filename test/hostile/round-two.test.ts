/**
 * What a second attack run broke, one test per defect: a second copy after the studio dies mid-start,
 * admin mode keeping the session id, sessions filling the volume, OPTIONS answered in plain text, and a
 * state file that is a FIFO.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { groupsWithEnv } from "../../server/process/proc.js";
import { MAX_SESSIONS } from "../../server/http/session.js";
import { ensureBuilt, spawnStudio, type StudioProcess } from "../helpers/built.js";
import { post, signIn, useStudios } from "../helpers/http.js";
import { makeDirs, removeDirs, standinMode, type TestDirs } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import { RAZVAN, ROSA } from "./helpers.js";

const studios: StudioProcess[] = [];
const made: TestDirs[] = [];
const inProcess = useStudios();

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

afterEach(async () => {
  for (const proc of studios.splice(0)) await proc.kill();
  for (const dirs of made)
    for (const group of groupsWithEnv("WORKSPACE_DIR", dirs.workspace)) process.kill(-group, "SIGKILL");
});

afterAll(() => {
  for (const dirs of made.splice(0)) removeDirs(dirs);
});

const sessionCookie = (res: { headers: Record<string, unknown> }) => {
  const header = res.headers["set-cookie"];
  const lines = Array.isArray(header) ? (header as string[]) : typeof header === "string" ? [header] : [];
  return lines.join("\n").match(/comfystudio\.sid=[^;]+/)?.[0] ?? null;
};

describe("a studio killed just after a start", () => {
  it(
    "never leads to a second copy: the run is found again however early the studio died",
    { timeout: 120_000 },
    async () => {
      const dirs = await makeDirs();
      made.push(dirs);
      // The tool opens its port only after 20 s: every kill lands while it starts.
      standinMode(dirs, "lora-tool", "slow:20000");
      const delays = [0, 1, 2, 3, 5, 8, 12, 20, 40, 80];
      for (const delay of delays) {
        const proc = await spawnStudio(dirs);
        studios.push(proc);
        const rosa = proc.agent();
        await post(rosa, "/set_artist", { artist: ROSA }).expect(200);
        const answer = await post(rosa, "/start_session", { tool_id: "lora-tool" });
        expect([200, 202]).toContain(answer.status);
        await new Promise((resolve) => setTimeout(resolve, delay));
        await proc.kill();
        studios.splice(studios.indexOf(proc), 1);
      }
      const last = await spawnStudio(dirs);
      studios.push(last);
      const rosa = last.agent();
      await post(rosa, "/set_artist", { artist: ROSA }).expect(200);
      await post(rosa, "/start_session", { tool_id: "lora-tool" });
      const groups = await waitFor(() => {
        const found = groupsWithEnv("STUDIO_TOOL_INSTANCE", `lora-tool@0@${dirs.state}`);
        return found.length > 0 ? found : null;
      });
      expect(groups, `process groups of the LoRA-Tool after ${delays.length} kills`).toHaveLength(1);
      const status = (await rosa.get("/tool_status/lora-tool").expect(200)).body;
      expect(status.state).toBe("starting");
      expect(groups).toContain(status.pid);
    },
  );
});

describe("a change of privilege", () => {
  it("gives a new session id: a cookie copied before admin mode (or a login) never gains it", async () => {
    const s = await inProcess({ env: { STUDIO_PASSWORD: "pw", ADMIN_PASSWORD: "adm" } });
    const agent = s.agent();
    const before = sessionCookie(await post(agent, "/set_artist", { artist: RAZVAN }).expect(401));
    expect(before).toBeNull();
    const loggedOut = sessionCookie(await post(agent, "/login", { password: "pw" }).expect(200));
    const picked = await post(agent, "/set_artist", { artist: RAZVAN }).expect(200);
    const copied = sessionCookie(picked) ?? loggedOut;
    const on = sessionCookie(
      await post(agent, "/set_admin_mode", { admin_mode: true, password: "adm" }).expect(200),
    );
    expect(on).not.toBeNull();
    expect(on).not.toBe(copied);
    const thief = (
      await s
        .agent()
        .get("/debug")
        .set("Cookie", copied!)
        .expect((res) => expect([200, 401]).toContain(res.status))
    ).body;
    expect(thief.session?.admin_mode ?? false).toBe(false);
    expect((await agent.get("/debug").expect(200)).body.session).toEqual({
      artist: RAZVAN,
      admin_mode: true,
    });
    const off = sessionCookie(await post(agent, "/set_admin_mode", { admin_mode: false }).expect(200));
    expect(off).not.toBeNull();
    expect(off).not.toBe(on);
    expect(
      (
        await s
          .agent()
          .get("/debug")
          .set("Cookie", on!)
          .expect((res) => expect([200, 401]).toContain(res.status))
      ).body.session?.admin_mode ?? false,
    ).toBe(false);
  });
});

describe("sessions", () => {
  it(
    "are bounded: thousands of cookie-less browsers never hold more than the cap",
    { timeout: 60_000 },
    async () => {
      const s = await inProcess();
      const dir = path.join(s.dirs.state, "sessions");
      for (let i = 0; i < MAX_SESSIONS + 200; i++) {
        await post(s.agent(), "/set_artist", { artist: ROSA }).expect(200);
      }
      await waitFor(() => readdirSync(dir).filter((name) => name.endsWith(".json")).length <= MAX_SESSIONS, {
        what: "old session files to go",
      });
      expect(s.studio.sessions.size).toBeLessThanOrEqual(MAX_SESSIONS);
      // The newest still works.
      const rosa = await signIn(s, ROSA);
      expect((await rosa.get("/debug").expect(200)).body.session.artist).toBe(ROSA);
    },
  );
});

describe("small ones", () => {
  it("OPTIONS answers JSON", async () => {
    const s = await inProcess();
    for (const url of ["/", "/tools", "/start_session", "/nope"]) {
      const res = await s.agent().options(url).expect(200);
      expect(res.headers["content-type"]).toMatch(/application\/json/);
      expect(res.body.success).toBe(true);
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("a state.json that is a FIFO does not keep the studio from listening", async () => {
    const dirs = await makeDirs();
    made.push(dirs);
    spawnSync("mkdir", ["-p", dirs.state]);
    for (const name of ["state.json", "jobs.json"]) {
      const made = spawnSync("mkfifo", [path.join(dirs.state, name)]);
      expect(made.status).toBe(0);
    }
    const proc = await spawnStudio(dirs);
    studios.push(proc);
    const warnings = (await (await fetch(`${proc.url}/debug`)).json()) as { warnings: string[] };
    expect(warnings.warnings.join("\n")).toMatch(
      /state\.json could not be read \(it is not a regular file\)/,
    );
    rmSync(path.join(dirs.state, "jobs.json"), { force: true });
  });
});
