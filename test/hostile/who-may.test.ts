/**
 * Who may do what: every endpoint against every kind of browser, with the status SPEC's "who may" column
 * gives. The studio has STUDIO_PASSWORD and ADMIN_PASSWORD set; lora-tool runs, started by Rosa.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discard } from "../helpers/http.js";
import { install, startTestStudio } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import { post, RAZVAN, ROSA, ZOE, type Agent, type TestStudio } from "./helpers.js";

const STUDIO_PASSWORD = "who-may-studio-pw";
const ADMIN_PASSWORD = "who-may-admin-pw";

const ROLES = ["no login", "no artist", "artist", "owner", "admin", "admin mode"] as const;
type Role = (typeof ROLES)[number];

interface Row {
  what: string;
  method: "GET" | "POST";
  url: string;
  body?: unknown;
  /** One status per role, in the order of ROLES. */
  expect: [number, number, number, number, number, number];
}

let jobId = "";

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every "METHOD /path" the app's routers answer (Express's own route table, routers included). */
function routesOf(app: TestStudio["app"]): string[] {
  const found = new Set<string>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods))
          found.add(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...found].sort();
}

// prettier-ignore
const ROWS: Row[] = [
  { what: "the page", method: "GET", url: "/", expect: [200, 200, 200, 200, 200, 200] },
  { what: "health", method: "GET", url: "/healthz", expect: [200, 200, 200, 200, 200, 200] },
  { what: "a static file", method: "GET", url: "/static/style.css", expect: [200, 200, 200, 200, 200, 200] },
  { what: "login, right password", method: "POST", url: "/login", body: { password: STUDIO_PASSWORD }, expect: [200, 200, 200, 200, 200, 200] },
  { what: "login, wrong password", method: "POST", url: "/login", body: { password: "nope" }, expect: [401, 401, 401, 401, 401, 401] },
  { what: "logout", method: "POST", url: "/logout", body: {}, expect: [200, 200, 200, 200, 200, 200] },
  { what: "pick a listed name", method: "POST", url: "/set_artist", body: { artist: ZOE }, expect: [401, 200, 200, 200, 200, 200] },
  { what: "pick an unlisted name", method: "POST", url: "/set_artist", body: { artist: "Nobody Here" }, expect: [401, 400, 400, 400, 400, 400] },
  { what: "admin mode on, right password", method: "POST", url: "/set_admin_mode", body: { admin_mode: true, password: ADMIN_PASSWORD }, expect: [401, 403, 403, 403, 200, 200] },
  { what: "admin mode on, wrong password", method: "POST", url: "/set_admin_mode", body: { admin_mode: true, password: "nope" }, expect: [401, 403, 403, 403, 403, 403] },
  { what: "admin mode off", method: "POST", url: "/set_admin_mode", body: { admin_mode: false }, expect: [401, 200, 200, 200, 200, 200] },
  { what: "tool list", method: "GET", url: "/tools", expect: [401, 200, 200, 200, 200, 200] },
  { what: "tool status", method: "GET", url: "/tool_status/lora-tool", expect: [401, 200, 200, 200, 200, 200] },
  { what: "start a running tool", method: "POST", url: "/start_session", body: { tool_id: "lora-tool" }, expect: [401, 400, 200, 200, 200, 200] },
  { what: "stop a running tool", method: "POST", url: "/stop_session", body: { tool_id: "lora-tool" }, expect: [401, 403, 403, 200, 403, 200] },
  { what: "stop a stopped tool", method: "POST", url: "/stop_session", body: { tool_id: "jupyter-lab" }, expect: [401, 200, 200, 200, 200, 200] },
  { what: "admin action", method: "POST", url: "/admin_action", body: { tool_id: "comfy-ui", action: "update" }, expect: [401, 403, 403, 403, 403, 202] },
  { what: "custom nodes list", method: "GET", url: "/custom_nodes", expect: [401, 200, 200, 200, 200, 200] },
  { what: "custom nodes action", method: "POST", url: "/custom_nodes_action", body: { action: "update" }, expect: [401, 403, 403, 403, 403, 202] },
  { what: "model sets", method: "GET", url: "/models", expect: [401, 200, 200, 200, 200, 200] },
  { what: "download models (unknown set)", method: "POST", url: "/download_models", body: { models: ["no-such-set"] }, expect: [401, 403, 403, 403, 403, 400] },
  { what: "old copies", method: "GET", url: "/old_copies", expect: [401, 200, 200, 200, 200, 200] },
  { what: "delete an old copy (none there)", method: "POST", url: "/old_copies_action", body: { action: "delete", name: "ComfyUI.old-20261201-101500" }, expect: [401, 403, 403, 403, 403, 404] },
  { what: "job list", method: "GET", url: "/jobs", expect: [401, 200, 200, 200, 200, 200] },
  { what: "cancel a job", method: "POST", url: "/cancel_job", body: () => ({ job_id: jobId }), expect: [401, 403, 403, 403, 403, 200] },
  { what: "a tool's log", method: "GET", url: "/logs?source=lora-tool", expect: [401, 200, 200, 200, 200, 200] },
  { what: "the admin log", method: "GET", url: "/logs?source=admin", expect: [401, 200, 200, 200, 200, 200] },
  { what: "clear a log", method: "POST", url: "/clear_logs", body: { source: "lora-tool" }, expect: [401, 403, 403, 403, 403, 200] },
  { what: "debug", method: "GET", url: "/debug", expect: [401, 200, 200, 200, 200, 200] },
  { what: "download progress", method: "GET", url: "/models/progress", expect: [401, 200, 200, 200, 200, 200] },
  { what: "open a running tool", method: "GET", url: "/open/lora-tool", expect: [302, 302, 302, 302, 302, 302] },
  { what: "open an unknown tool", method: "GET", url: "/open/nope", expect: [404, 404, 404, 404, 404, 404] },
  { what: "one's API key", method: "GET", url: "/api_key", expect: [401, 400, 200, 200, 200, 200] },
  { what: "replace one's API key", method: "POST", url: "/api_key", body: { rotate: true }, expect: [401, 400, 200, 200, 200, 200] },
  { what: "GPUs and disks", method: "GET", url: "/system", expect: [401, 200, 200, 200, 200, 200] },
  { what: "the pod's idle state", method: "GET", url: "/pod", expect: [401, 200, 200, 200, 200, 200] },
  { what: "keep the pod running", method: "POST", url: "/keep_alive", body: {}, expect: [401, 400, 200, 200, 200, 200] },
  { what: "a gallery", method: "GET", url: "/gallery", expect: [401, 400, 200, 200, 200, 200] },
  { what: "a gallery file that is not there", method: "GET", url: "/gallery/file?path=nope.png", expect: [401, 400, 404, 404, 404, 404] },
  { what: "a thumbnail of a file that is not there", method: "GET", url: "/gallery/thumb?path=nope.png", expect: [401, 400, 404, 404, 404, 404] },
  { what: "a gallery as zip", method: "GET", url: "/gallery/zip", expect: [401, 400, 200, 200, 200, 200] },
  { what: "a selection as zip", method: "POST", url: "/gallery/zip", body: { paths: ["nope.png"] }, expect: [401, 400, 404, 404, 404, 404] },
  { what: "delete from Rosa's gallery", method: "POST", url: "/gallery/delete", body: { artist: ROSA, paths: ["nope.png"] }, expect: [401, 400, 403, 404, 403, 404] },
  { what: "the users", method: "GET", url: "/users", expect: [401, 200, 200, 200, 200, 200] },
  { what: "change a user", method: "POST", url: "/users_action", body: { action: "set_admin", name: ZOE, is_admin: false }, expect: [401, 403, 403, 403, 403, 200] },
  { what: "keep a tool running", method: "POST", url: "/keep_alive", body: { tool_id: "lora-tool" }, expect: [401, 400, 200, 200, 200, 200] },
  { what: "an unknown GET", method: "GET", url: "/no-such-thing", expect: [401, 404, 404, 404, 404, 404] },
  { what: "an unknown POST", method: "POST", url: "/no-such-thing", body: {}, expect: [401, 404, 404, 404, 404, 404] },
];

const CASES = ROWS.flatMap((row) => ROLES.map((role, i) => ({ row, role, status: row.expect[i]! })));

let s: TestStudio;

async function browser(role: Role): Promise<Agent> {
  const agent = s.agent();
  if (role === "no login") return agent;
  await post(agent, "/login", { password: STUDIO_PASSWORD }).expect(200);
  if (role === "no artist") return agent;
  const name = role === "artist" ? ZOE : role === "owner" ? ROSA : RAZVAN;
  await post(agent, "/set_artist", { artist: name }).expect(200);
  if (role === "admin mode")
    await post(agent, "/set_admin_mode", { admin_mode: true, password: ADMIN_PASSWORD }).expect(200);
  return agent;
}

async function toolRunningForRosa(): Promise<void> {
  const lora = s.studio.manager.get("lora-tool")!;
  if (lora.state === "running" && lora.record.owner === ROSA) return;
  await lora.stop("test set-up");
  const rosa = await browser("owner");
  await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
  await waitFor(() => lora.state === "running", { what: "lora-tool to run" });
}

beforeAll(async () => {
  s = await startTestStudio({ env: { STUDIO_PASSWORD, ADMIN_PASSWORD } });
  install(s.dirs, "ComfyUI");
  const admin = await browser("admin mode");
  jobId = (await post(admin, "/admin_action", { tool_id: "comfy-ui", action: "update" }).expect(202)).body
    .job_id;
  await waitFor(() => s.studio.jobs.get(jobId)?.status === "succeeded", { what: "the first job" });
});

beforeEach(async () => {
  await toolRunningForRosa();
});

afterAll(async () => await discard(s));

describe("who may do what", () => {
  it.each(CASES)("$row.method $row.url ($row.what) as $role: $status", async ({ row, role, status }) => {
    const agent = await browser(role);
    const body = typeof row.body === "function" ? row.body() : row.body;
    const res = row.method === "GET" ? await agent.get(row.url) : await post(agent, row.url, body ?? {});
    const detail = `${row.method} ${row.url} as ${role}: ${res.status} ${res.text.slice(0, 200)}`;
    expect(res.status, detail).toBe(status);
    if (res.status >= 400) {
      expect(res.body, detail).toMatchObject({ success: false });
      expect(typeof res.body.message, detail).toBe("string");
    } else if (res.status < 300 && /json/.test(String(res.headers["content-type"]))) {
      expect(res.body.success, detail).toBe(true);
    }
  });

  it("the table covers every route the studio has: a new route fails here until it is listed", () => {
    const normal = (url: string) =>
      url.split("?")[0]!.replace(/^\/(tool_status|open)\/(lora-tool|nope)$/, "/$1/:tool_id");
    const covered = new Set(ROWS.map((row) => `${row.method} ${normal(row.url)}`));
    const routes = routesOf(s.app);
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((route) => !covered.has(route))).toEqual([]);
  });
});
