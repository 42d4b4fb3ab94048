/**
 * ComfyUI as each artist: the artist's own ComfyUI user on every request whatever the client sent, a
 * single-user `/users` so the frontend shows no user picker, saved files per artist, and `filename_prefix`
 * rewritten so that images land in `output/{artist}/` whoever started ComfyUI.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { post } from "../helpers/http.js";
import { comfyPrompts, holdComfyQueue, standinRequests } from "../helpers/standin.js";
import { DEFAULT_USERS, install, type TestStudio } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";
import {
  comfyUserId,
  enter,
  openSocket,
  RAZVAN,
  rawRequest,
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
const PASSWORD = "studio-pw-comfy";

/** A studio with ComfyUI running (started by `starter`) and browsers of Rosa and Zoë inside it. */
async function comfyWithArtists(starter = ROSA) {
  const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD } });
  await runTool(await signInAs(s, starter, PASSWORD));
  const rosa = await signInAs(s, ROSA, PASSWORD);
  const zoe = await signInAs(s, ZOE, PASSWORD);
  return {
    s,
    rosa,
    zoe,
    rosaCookie: (await enter(rosa, "comfy-ui")).cookie,
    zoeCookie: (await enter(zoe, "comfy-ui")).cookie,
  };
}

const seenAt = (s: TestStudio, prefix: string) =>
  standinRequests(s.dirs, "comfy-ui").filter((request) => request.url.startsWith(prefix));

function prompt(prefixes: Record<string, string>, extra: Record<string, unknown> = {}) {
  const nodes: Record<string, unknown> = {
    "1": { class_type: "EmptyImage", inputs: { width: 8, height: 8 } },
  };
  for (const [id, prefix] of Object.entries(prefixes))
    nodes[id] = { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: prefix } };
  return {
    prompt: nodes,
    client_id: "test-client",
    extra_data: { extra_pnginfo: { workflow: {} }, ...extra },
  };
}

describe("ComfyUI users", () => {
  it("every request carries the artist's own ComfyUI user, whatever the client sent", async () => {
    const { s, rosaCookie } = await comfyWithArtists();
    const rosaId = comfyUserId(s.dirs, ROSA);
    const zoeId = comfyUserId(s.dirs, ZOE);
    expect(rosaId).toMatch(/^Rosa-Macak-Cizmesija_[0-9a-f-]{36}$/);
    const spoofs = [undefined, "default", zoeId, `${zoeId}, ${rosaId}`, "nobody"];
    for (const [i, spoof] of spoofs.entries()) {
      const headers: Record<string, string> = { cookie: rosaCookie };
      if (spoof !== undefined) headers["Comfy-User"] = spoof;
      const res = await fetch(`${toolOrigin(s, "comfy-ui")}/api/settings?try=${i}`, { headers });
      expect(res.status, String(spoof)).toBe(200);
    }
    // Two values of one header, sent raw.
    await rawRequest(`${toolOrigin(s, "comfy-ui")}/api/settings?try=raw`, {
      headers: { Cookie: rosaCookie, "comfy-user": zoeId, "Comfy-User": "default" },
    });
    const seen = seenAt(s, "/api/settings");
    expect(seen).toHaveLength(spoofs.length + 1);
    for (const request of seen) expect(request.headers["comfy-user"]).toBe(rosaId);

    // The WebSocket too.
    const socket = await openSocket(`${wsOrigin(s, "comfy-ui")}/ws?clientId=rosa-tab`, {
      headers: { cookie: rosaCookie, "comfy-user": zoeId },
    });
    await waitFor(() => socket.messages.length > 0, { what: "ComfyUI's status message" });
    expect(JSON.parse(socket.messages[0]!)).toMatchObject({ type: "status", data: { sid: "rosa-tab" } });
    socket.ws.close();
    expect(seenAt(s, "/ws")[0]!.headers["comfy-user"]).toBe(rosaId);
  });

  it("GET /users is answered as a single-user ComfyUI (no user picker); POST /users is refused", async () => {
    const { s, rosaCookie } = await comfyWithArtists();
    for (const route of ["/users", "/api/users"]) {
      const res = await fetch(`${toolOrigin(s, "comfy-ui")}${route}`, { headers: { cookie: rosaCookie } });
      expect(await res.json()).toEqual({ storage: "server", migrated: true });
      const made = await fetch(`${toolOrigin(s, "comfy-ui")}${route}`, {
        method: "POST",
        headers: { cookie: rosaCookie, "Content-Type": "application/json" },
        body: JSON.stringify({ username: "Mallory" }),
      });
      expect(made.status).toBe(403);
      expect(await made.json()).toMatchObject({
        success: false,
        message: expect.stringMatching(/one per artist/),
      });
    }
    // None of it reached ComfyUI, which would have listed every artist.
    expect(seenAt(s, "/users").concat(seenAt(s, "/api/users"))).toEqual([]);
    expect(readFileSync(path.join(s.dirs.workspace, "ComfyUI", "user", "users.json"), "utf8")).not.toContain(
      "Mallory",
    );
  });

  it("two artists' saved workflows and settings land in their own user folders", async () => {
    const { s, rosaCookie, zoeCookie } = await comfyWithArtists();
    const file = encodeURIComponent("workflows/mine.json");
    for (const [cookie, body] of [
      [rosaCookie, '{"by":"rosa"}'],
      [zoeCookie, '{"by":"zoe"}'],
    ] as const) {
      const saved = await fetch(`${toolOrigin(s, "comfy-ui")}/api/userdata/${file}`, {
        method: "POST",
        headers: { cookie },
        body,
      });
      expect(saved.status).toBe(200);
      await fetch(`${toolOrigin(s, "comfy-ui")}/api/settings`, {
        method: "POST",
        headers: { cookie, "Content-Type": "application/json" },
        body: JSON.stringify({ "Comfy.Theme": body }),
      });
    }
    const userDir = path.join(s.dirs.workspace, "ComfyUI", "user");
    const inFolder = (artist: string, name: string) =>
      readFileSync(path.join(userDir, comfyUserId(s.dirs, artist), name), "utf8");
    expect(inFolder(ROSA, "workflows/mine.json")).toBe('{"by":"rosa"}');
    expect(inFolder(ZOE, "workflows/mine.json")).toBe('{"by":"zoe"}');
    expect(JSON.parse(inFolder(ZOE, "comfy.settings.json"))).toEqual({ "Comfy.Theme": '{"by":"zoe"}' });
    const back = await fetch(`${toolOrigin(s, "comfy-ui")}/api/userdata/${file}`, {
      headers: { cookie: zoeCookie },
    });
    expect(await back.text()).toBe('{"by":"zoe"}');
    expect(existsSync(path.join(userDir, "default", "workflows"))).toBe(false);
  });

  it("an artist added while ComfyUI runs gets a ComfyUI user of their own on first use", async () => {
    const { s } = await comfyWithArtists();
    writeFileSync(s.dirs.usersFile, DEFAULT_USERS.replace(/\)\n$/, '  "Nova Newcomer"\n)\n'));
    await waitFor(() => s.studio.users.names.includes("Nova Newcomer"), { what: "the users file to reload" });
    const nova = await signInAs(s, "Nova Newcomer", PASSWORD);
    const { cookie } = await enter(nova, "comfy-ui");
    const res = await fetch(`${toolOrigin(s, "comfy-ui")}/api/userdata/${encodeURIComponent("a.json")}`, {
      method: "POST",
      headers: { cookie },
      body: "{}",
    });
    expect(res.status).toBe(200);
    const id = comfyUserId(s.dirs, "Nova Newcomer");
    expect(id).toMatch(/^Nova-Newcomer_/);
    expect(seenAt(s, "/api/userdata")[0]!.headers["comfy-user"]).toBe(id);
    expect(existsSync(path.join(s.dirs.workspace, "ComfyUI", "user", id, "a.json"))).toBe(true);
  });
});

describe("filename_prefix and studio_artist", () => {
  it("prefixes get the artist's folder (kept when already there), extra_data gets studio_artist, and images land in output/{artist}/ whoever started ComfyUI", async () => {
    const { s, rosaCookie, zoeCookie } = await comfyWithArtists(RAZVAN);
    const send = (cookie: string, body: unknown, route = "/prompt") =>
      fetch(`${toolOrigin(s, "comfy-ui")}${route}`, {
        method: "POST",
        headers: { cookie, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    const rosa = await send(
      rosaCookie,
      prompt({ "9": "ComfyUI", "10": `${ROSA}/keep`, "11": "sub/dir/x" }, { mine: 1 }),
    );
    expect(rosa.status).toBe(200);
    expect(await rosa.json()).toMatchObject({ prompt_id: expect.any(String), number: 0, node_errors: {} });
    expect((await send(zoeCookie, prompt({ "9": "ComfyUI" }), "/api/prompt")).status).toBe(200);

    const [first, second] = comfyPrompts(s.dirs);
    expect(first!.prompt["9"]!.inputs.filename_prefix).toBe(`${ROSA}/ComfyUI`);
    expect(first!.prompt["10"]!.inputs.filename_prefix).toBe(`${ROSA}/keep`);
    expect(first!.prompt["11"]!.inputs.filename_prefix).toBe(`${ROSA}/sub/dir/x`);
    expect(first!.prompt["1"]!.inputs).toEqual({ width: 8, height: 8 });
    expect(first!.extra_data).toEqual({ extra_pnginfo: { workflow: {} }, mine: 1, studio_artist: ROSA });
    expect(second!.prompt["9"]!.inputs.filename_prefix).toBe(`${ZOE}/ComfyUI`);
    expect(second!.extra_data).toMatchObject({ studio_artist: ZOE });

    const output = path.join(s.dirs.workspace, "ComfyUI", "output");
    await waitFor(() => existsSync(path.join(output, ZOE, "ComfyUI_00001_.png")), { what: "Zoë's image" });
    for (const file of [
      `${ROSA}/ComfyUI_00001_.png`,
      `${ROSA}/keep_00001_.png`,
      `${ROSA}/sub/dir/x_00001_.png`,
    ])
      expect(existsSync(path.join(output, file)), file).toBe(true);
    expect(existsSync(path.join(output, RAZVAN, "ComfyUI_00001_.png"))).toBe(false);
    expect(existsSync(path.join(output, "ComfyUI_00001_.png"))).toBe(false);
  });

  it("a prefix that climbs with .. or is absolute is refused with 400 JSON and never reaches ComfyUI", async () => {
    const { s, rosaCookie } = await comfyWithArtists();
    for (const bad of [
      "../escape",
      `${ROSA}/../../etc/x`,
      "a/../../b",
      "/etc/passwd",
      "C:\\Windows\\x",
      "..\\up",
    ]) {
      const res = await fetch(`${toolOrigin(s, "comfy-ui")}/prompt`, {
        method: "POST",
        headers: { cookie: rosaCookie, "Content-Type": "application/json" },
        body: JSON.stringify(prompt({ "9": bad })),
      });
      expect(res.status, bad).toBe(400);
      const body = (await res.json()) as { message: string };
      expect(body).toMatchObject({ success: false });
      expect(body.message, bad).toContain(bad);
    }
    // However the prompt's path is spelled (sent as it is, not normalized by a URL parser first).
    for (const spelling of ["/%70rompt", "/api//prompt", "/api/x/../prompt", "/./api/prompt"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const request = http.request(
          {
            host: "127.0.0.1",
            port: s.config.toolPorts["comfy-ui"],
            path: spelling,
            method: "POST",
            headers: { cookie: rosaCookie, "Content-Type": "application/json" },
          },
          (res) => (res.resume(), resolve(res.statusCode ?? 0)),
        );
        request.on("error", reject);
        request.end(JSON.stringify(prompt({ "9": "../escape" })));
      });
      expect(status, spelling).toBe(400);
    }
    const notJson = await fetch(`${toolOrigin(s, "comfy-ui")}/api/prompt`, {
      method: "POST",
      headers: { cookie: rosaCookie, "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    expect(comfyPrompts(s.dirs)).toEqual([]);
  });

  it("a prompt sent in chunks (no Content-Length) is rewritten and arrives whole", async () => {
    const { s, rosaCookie } = await comfyWithArtists();
    const body = JSON.stringify(prompt({ "9": "chunked" }));
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(`${toolOrigin(s, "comfy-ui")}/prompt`, {
        method: "POST",
        headers: { Cookie: rosaCookie, "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
        timeout: 5_000,
      });
      request.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      request.on("timeout", () => request.destroy(new Error("no answer in 5 s")));
      request.on("error", reject);
      request.write(body.slice(0, 40));
      setImmediate(() => request.end(body.slice(40)));
    });
    expect(answer.status, answer.text).toBe(200);
    expect(comfyPrompts(s.dirs)[0]!.prompt["9"]!.inputs.filename_prefix).toBe(`${ROSA}/chunked`);
  });

  it("the queue names whose prompts wait, so a stop by hand says whose work it would end", async () => {
    const { s, rosa, rosaCookie } = await comfyWithArtists();
    holdComfyQueue(s.dirs, true);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${toolOrigin(s, "comfy-ui")}/prompt`, {
        method: "POST",
        headers: { cookie: rosaCookie, "Content-Type": "application/json" },
        body: JSON.stringify(prompt({ "9": `held-${i}` })),
      });
      expect(res.status).toBe(200);
    }
    const queue = (await (
      await fetch(`${toolOrigin(s, "comfy-ui")}/queue`, { headers: { cookie: rosaCookie } })
    ).json()) as {
      queue_running: unknown[][];
      queue_pending: unknown[][];
    };
    expect(queue.queue_running).toHaveLength(1);
    expect(queue.queue_pending).toHaveLength(1);
    expect(queue.queue_pending[0]![3]).toMatchObject({ studio_artist: ROSA });
    const refused = await post(rosa, "/stop_session", { tool_id: "comfy-ui" }).expect(409);
    expect(refused.body.message).toMatch(/2 prompts \(2 by Rosa Macak Cizmesija\)/);
    holdComfyQueue(s.dirs, false);
    await waitFor(
      () => existsSync(path.join(s.dirs.workspace, "ComfyUI", "output", ROSA, "held-1_00001_.png")),
      { what: "the held prompts to run" },
    );
  });

  it("ComfyUI's own cross-site check still works: the browser's Host is kept", async () => {
    const { s, rosaCookie } = await comfyWithArtists();
    const origin = toolOrigin(s, "comfy-ui");
    const send = (from: string) =>
      fetch(`${origin}/prompt`, {
        method: "POST",
        headers: { cookie: rosaCookie, "Content-Type": "application/json", Origin: from },
        body: JSON.stringify(prompt({ "9": "origin" })),
      });
    expect((await send(origin)).status).toBe(200);
    expect((await send("http://evil.example")).status).toBe(403);
    const seen = seenAt(s, "/prompt");
    expect(seen.map((request) => request.headers.host)).toEqual([
      `127.0.0.1:${s.config.toolPorts["comfy-ui"]}`,
      `127.0.0.1:${s.config.toolPorts["comfy-ui"]}`,
    ]);
  });
});

describe("changes to a tool itself (ComfyUI-Manager, SwarmUI's server)", () => {
  const SENTENCE =
    "ComfyUI-Manager's installs, updates, snapshots, settings and restart are for admins on this studio (TOOL_CHANGES_BY); ask an admin.";
  const send = (s: TestStudio, cookie: string, method: string, url: string) =>
    fetch(`${toolOrigin(s, "comfy-ui")}${url}`, {
      method,
      headers: { cookie, "Content-Type": "application/json" },
      body: method === "GET" ? undefined : "{}",
    });

  it("are for admins: an artist's are refused with 403 however the path is spelled, and never reach ComfyUI", async () => {
    const { s, rosa, rosaCookie } = await comfyWithArtists();
    const changes = [
      "/api/v2/manager/queue/task",
      "/v2/manager/queue/update_all",
      "/api/manager/reboot",
      "/api/v2/snapshot/restore",
      "/customnode/install/git_url",
      "/api/v2/comfyui_manager/comfyui_switch_version",
      "/api//v2//manager/reboot",
      "/api/v2%2Fmanager/reboot",
      "/api/%762/manager/queue/install_model",
      "/api/view/%2E%2E/manager/reboot",
    ];
    for (const url of changes) {
      const res = await send(s, rosaCookie, "POST", url);
      expect(res.status, url).toBe(403);
      expect(await res.json(), url).toEqual({ success: false, message: SENTENCE });
    }
    const page = await fetch(`${toolOrigin(s, "comfy-ui")}/api/v2/manager/reboot`, {
      method: "POST",
      headers: { cookie: rosaCookie, Accept: "text/html" },
    });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("are for admins on this studio");
    // Her API key is her too.
    const key = (await rosa.get("/api_key").expect(200)).body.key as string;
    const byKey = await fetch(`${toolOrigin(s, "comfy-ui")}/k/${key}/api/v2/manager/reboot`, {
      method: "POST",
    });
    expect(byKey.status).toBe(403);
    expect(seenAt(s, "/api/v2/manager").concat(seenAt(s, "/api/manager"), seenAt(s, "/v2"))).toEqual([]);
    expect(seenAt(s, "/customnode")).toEqual([]);

    // What only reads, and the components the page loads at start, pass.
    for (const [method, url] of [
      ["GET", "/api/v2/manager/queue/status"],
      ["GET", "/api/v2/customnode/installed"],
      ["POST", "/api/manager/component/loads"],
      ["POST", "/api/v2/customnode/import_fail_info"],
    ] as const) {
      const res = await send(s, rosaCookie, method, url);
      expect(res.status, url).toBe(200);
      expect(seenAt(s, url.split("?")[0]!), url).toHaveLength(1);
    }
  });

  it("an admin makes them, and TOOL_CHANGES_BY=everyone lets every artist", async () => {
    const { s } = await comfyWithArtists();
    const razvan = await signInAs(s, RAZVAN, PASSWORD);
    const { cookie } = await enter(razvan, "comfy-ui");
    expect((await send(s, cookie, "POST", "/api/v2/manager/queue/task")).status).toBe(200);
    expect(seenAt(s, "/api/v2/manager/queue/task")).toHaveLength(1);

    const open = await studio({ env: { TOOL_CHANGES_BY: "everyone" } });
    const zoe = await signInAs(open, ZOE);
    await runTool(zoe);
    const entered = await enter(zoe, "comfy-ui");
    expect((await send(open, entered.cookie, "POST", "/api/manager/reboot")).status).toBe(200);
    expect(seenAt(open, "/api/manager/reboot")).toHaveLength(1);
  });

  it("SwarmUI's server calls are for admins too, over HTTP and WebSockets alike", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD } });
    install(s.dirs, "SwarmUI");
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa, "swarm-ui");
    const { cookie } = await enter(rosa, "swarm-ui");
    const origin = toolOrigin(s, "swarm-ui");
    const shutdown = await fetch(`${origin}/API/ShutdownServer`, { method: "POST", headers: { cookie } });
    expect(shutdown.status).toBe(403);
    expect(((await shutdown.json()) as { message: string }).message).toMatch(/^SwarmUI's server settings/);
    const socket = await refusedSocket(`${wsOrigin(s, "swarm-ui")}/api/installconfirmws`, {
      headers: { cookie },
    });
    expect(socket.status).toBe(403);
    const generate = await fetch(`${origin}/API/GenerateText2Image`, { method: "POST", headers: { cookie } });
    expect(generate.status).toBe(200);
    const seen = standinRequests(s.dirs, "swarm-ui").map((request) => request.url.toLowerCase());
    expect(seen).toContain("/api/generatetext2image");
    expect(seen.filter((url) => /shutdown|installconfirm/.test(url))).toEqual([]);
  });
});
