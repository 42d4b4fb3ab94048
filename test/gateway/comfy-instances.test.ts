/**
 * One ComfyUI user per artist across several ComfyUI instances (COMFYUI_INSTANCES=2) sharing one user
 * folder, hence one users.json that each instance reads once at start and rewrites whole from its own
 * memory when it makes a user: no artist's id is ever lost from the file, and an artist goes only to an
 * instance that knows their id (else a stopped one is started for them, else the answer says why).
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ToolSupervisor } from "../../server/tools/supervisor.js";
import { post } from "../helpers/http.js";
import { standinRequests } from "../helpers/standin.js";
import { DEFAULT_USERS, FIXTURE_REPO, makeDirs, type TestDirs, type TestStudio } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import {
  enter,
  RAZVAN,
  refusedSocket,
  ROSA,
  runTool,
  signInAs,
  toolOrigin,
  useGatewayStudios,
  wsOrigin,
  ZOE,
} from "./helpers.js";

const studio = useGatewayStudios();
const PASSWORD = "studio-pw-instances";
const ENV = { STUDIO_PASSWORD: PASSWORD, COMFYUI_INSTANCES: "2" };
const NOVA = "Nova Newcomer";
const MIRA = "Mira Novak";
const WORKFLOW = encodeURIComponent("workflows/mine.json");

const instancesOf = (s: TestStudio) => s.studio.manager.instances("comfy-ui");

function bothRunning(s: TestStudio) {
  return waitFor(() => instancesOf(s).every((instance) => instance.state === "running"), {
    what: "both ComfyUI instances to run",
  });
}

/** Two ComfyUI instances running: the first started by Rosa, the second by Zoë. */
async function twoInstances(dirs?: TestDirs): Promise<TestStudio> {
  const s = await studio({ dirs, env: ENV });
  await runTool(await signInAs(s, ROSA, PASSWORD));
  await post(await signInAs(s, ZOE, PASSWORD), "/start_session", { tool_id: "comfy-ui" }).expect(202);
  await bothRunning(s);
  return s;
}

/** Artists added to artist_names.sh while the studio runs. */
async function addArtists(s: TestStudio, names: string[]): Promise<void> {
  const lines = names.map((name) => `  "${name}"\n`).join("");
  writeFileSync(s.dirs.usersFile, DEFAULT_USERS.replace(/\)\n$/, `${lines})\n`));
  await waitFor(() => names.every((name) => s.studio.users.names.includes(name)), {
    what: "the users file to reload",
  });
}

const usersFile = (s: TestStudio) => path.join(s.dirs.workspace, "ComfyUI", "user", "users.json");
const usersJson = (s: TestStudio) => JSON.parse(readFileSync(usersFile(s), "utf8")) as Record<string, string>;
const idsNamed = (s: TestStudio, name: string) =>
  Object.entries(usersJson(s)).flatMap(([id, of]) => (of === name ? [id] : []));

/** The users an instance knows (ComfyUI's own GET /users on its loopback port). */
async function knownTo(instance: ToolSupervisor): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${instance.targetPort}/users`);
  const body = (await res.json()) as { users: Record<string, string> };
  return Object.values(body.users);
}

/** An artist's cookie on the ComfyUI port. */
async function cookieOf(s: TestStudio, artist: string): Promise<string> {
  return (await enter(await signInAs(s, artist, PASSWORD), "comfy-ui")).cookie;
}

const saveWorkflow = (s: TestStudio, cookie: string, body: string) =>
  fetch(`${toolOrigin(s, "comfy-ui")}/api/userdata/${WORKFLOW}`, {
    method: "POST",
    headers: { cookie },
    body,
  });

const loadWorkflow = (s: TestStudio, cookie: string, accept = "application/json") =>
  fetch(`${toolOrigin(s, "comfy-ui")}/api/userdata/${WORKFLOW}`, { headers: { cookie, Accept: accept } });

const postedUsers = (s: TestStudio) =>
  standinRequests(s.dirs, "comfy-ui").filter((r) => r.method === "POST" && r.url === "/users");

describe("ComfyUI users across instances", () => {
  it("two artists made at once on two instances both stay in users.json and keep their ids and workflows after a restart", async () => {
    const s = await twoInstances();
    await addArtists(s, [NOVA, MIRA]);
    const cookies = new Map([
      [NOVA, await cookieOf(s, NOVA)],
      [MIRA, await cookieOf(s, MIRA)],
    ]);
    const saved = await Promise.all(
      [...cookies].map(([artist, cookie]) => saveWorkflow(s, cookie, JSON.stringify({ by: artist }))),
    );
    expect(saved.map((res) => res.status)).toEqual([200, 200]);
    // Each was made on an instance of its own (so each instance rewrote users.json from its memory).
    const known = await Promise.all(instancesOf(s).map(knownTo));
    expect(known.map((names) => names.filter((name) => name === NOVA || name === MIRA).length)).toEqual([
      1, 1,
    ]);
    const novaIds = idsNamed(s, NOVA);
    const miraIds = idsNamed(s, MIRA);
    expect(novaIds).toHaveLength(1);
    expect(miraIds).toHaveLength(1);
    const sent = standinRequests(s.dirs, "comfy-ui")
      .filter((r) => r.url.startsWith("/api/userdata"))
      .map((r) => r.headers["comfy-user"]);
    expect(sent.sort()).toEqual([novaIds[0], miraIds[0]].sort());

    // Everything stops, the studio restarts: each artist is the same ComfyUI user with their workflow.
    for (const instance of instancesOf(s)) await instance.stop("test");
    await s.close();
    const again = await studio({ dirs: s.dirs, env: ENV });
    await runTool(await signInAs(again, ROSA, PASSWORD));
    for (const artist of [NOVA, MIRA]) {
      const res = await loadWorkflow(again, await cookieOf(again, artist));
      expect(res.status, artist).toBe(200);
      expect(await res.json()).toEqual({ by: artist });
    }
    expect(idsNamed(again, NOVA)).toEqual(novaIds);
    expect(idsNamed(again, MIRA)).toEqual(miraIds);
  });

  it("an id that left users.json while the studio was down comes back from the studio's own copy", async () => {
    const s = await twoInstances();
    await addArtists(s, [NOVA]);
    expect((await saveWorkflow(s, await cookieOf(s, NOVA), '{"by":"nova"}')).status).toBe(200);
    const id = idsNamed(s, NOVA);
    for (const instance of instancesOf(s)) await instance.stop("test");
    await s.close();
    // As an instance rewriting users.json from its memory leaves it, had the studio died right then.
    const users = usersJson(s);
    delete users[id[0]!];
    writeFileSync(usersFile(s), JSON.stringify(users));

    const again = await studio({ dirs: s.dirs, env: ENV });
    await runTool(await signInAs(again, ROSA, PASSWORD));
    const res = await loadWorkflow(again, await cookieOf(again, NOVA));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ by: "nova" });
    expect(idsNamed(again, NOVA)).toEqual(id);
  });

  it("an artist made on one instance is sent to it after a studio restart, not to a less used one that does not know them", async () => {
    const s = await twoInstances();
    await addArtists(s, [NOVA]);
    expect((await saveWorkflow(s, await cookieOf(s, NOVA), '{"by":"nova"}')).status).toBe(200);
    const [first, second] = instancesOf(s);
    expect(await knownTo(first!)).toContain(NOVA);
    expect(await knownTo(second!)).not.toContain(NOVA);

    // The studio restarts while both ComfyUIs run on; Razvan then joins the first, so the second is less used.
    await s.close();
    const again = await studio({ dirs: s.dirs, env: ENV });
    await bothRunning(again);
    const razvan = await cookieOf(again, RAZVAN);
    expect(
      (await fetch(`${toolOrigin(again, "comfy-ui")}/api/queue`, { headers: { cookie: razvan } })).status,
    ).toBe(200);
    expect(again.studio.tools.placement.artistsOf("comfy-ui", 0, instancesOf(again))).toEqual([RAZVAN, ROSA]);

    const res = await loadWorkflow(again, await cookieOf(again, NOVA));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ by: "nova" });
    expect(again.studio.tools.placement.artistsOf("comfy-ui", 0, instancesOf(again))).toContain(NOVA);
    expect(idsNamed(again, NOVA)).toHaveLength(1);
  });

  it("an artist no running instance knows gets a stopped instance started for them, never a second id", async () => {
    const s = await twoInstances();
    await addArtists(s, [NOVA]);
    const nova = await cookieOf(s, NOVA);
    expect((await saveWorkflow(s, nova, '{"by":"nova"}')).status).toBe(200);
    const id = idsNamed(s, NOVA);
    // Rosa stops the instance that made Nova; the one still running started before Nova existed.
    await post(await signInAs(s, ROSA, PASSWORD), "/stop_session", { tool_id: "comfy-ui" }).expect(200);
    expect(instancesOf(s).map((instance) => instance.state)).toEqual(["stopped", "running"]);

    const starting = await loadWorkflow(s, nova);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toEqual({
      success: false,
      message: "ComfyUI is starting; this page reloads until it is ready.",
    });
    expect(instancesOf(s)[0]!.record.owner).toBe(NOVA);
    await bothRunning(s);
    const res = await loadWorkflow(s, nova);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ by: "nova" });
    expect(idsNamed(s, NOVA)).toEqual(id);
    expect(postedUsers(s)).toHaveLength(1);
  });

  it("when no running instance knows an artist and none can start, the answer says ComfyUI learns about them when it restarts", async () => {
    const dirs = await makeDirs();
    const repo = path.join(dirs.root, "repo");
    cpSync(FIXTURE_REPO, repo, { recursive: true });
    const s = await twoInstances({ ...dirs, env: { ...dirs.env, REPO_DIR: repo } });
    await addArtists(s, [NOVA]);
    const nova = await cookieOf(s, NOVA);
    expect((await saveWorkflow(s, nova, '{"by":"nova"}')).status).toBe(200);
    await post(await signInAs(s, ROSA, PASSWORD), "/stop_session", { tool_id: "comfy-ui" }).expect(200);
    // The stopped instance cannot start (its start script is gone); the running one keeps running.
    rmSync(path.join(repo, "setup", "comfy", "start_comfy.sh"));

    const sentence = `ComfyUI learns about ${NOVA} when it restarts; ask an admin to restart it.`;
    const json = await loadWorkflow(s, nova);
    expect(json.status).toBe(503);
    expect(await json.json()).toEqual({ success: false, message: sentence });
    const page = await loadWorkflow(s, nova, "text/html");
    expect(page.status).toBe(503);
    expect(await page.text()).toContain(sentence);
    expect(await refusedSocket(`${wsOrigin(s, "comfy-ui")}/ws`, { headers: { cookie: nova } })).toEqual({
      status: 503,
      body: JSON.stringify({ success: false, message: sentence }),
    });
    expect(instancesOf(s).map((instance) => instance.state)).toEqual(["stopped", "running"]);
    expect(idsNamed(s, NOVA)).toHaveLength(1);
    expect(postedUsers(s)).toHaveLength(1);
    // Others still work there.
    const zoe = await loadWorkflow(s, await cookieOf(s, ZOE));
    expect(zoe.status).toBe(404);
  });
});
