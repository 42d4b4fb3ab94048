/**
 * API keys for scripts and plugins: shown and replaced on the studio port, accepted by every tool port as a
 * Bearer header or a `/k/{key}/` path prefix (WebSockets included), removed before the tool sees the request.
 */
import { describe, expect, it } from "vitest";
import { post } from "../helpers/http.js";
import { comfyPrompts, standinRequests } from "../helpers/standin.js";
import {
  comfyUserId,
  openSocket,
  refusedSocket,
  ROSA,
  runTool,
  signInAs,
  toolOrigin,
  useGatewayStudios,
  wsOrigin,
  ZOE,
} from "./helpers.js";
import { waitFor } from "../helpers/wait.js";

const studio = useGatewayStudios();
const PASSWORD = "studio-pw-keys";

async function withKey() {
  const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD } });
  const rosa = await signInAs(s, ROSA, PASSWORD);
  await runTool(rosa);
  const key = (await rosa.get("/api_key").expect(200)).body.key as string;
  return { s, rosa, key };
}

describe("API keys", () => {
  it("GET /api_key shows the artist's key (the same each time); POST rotate replaces it and the old one stops working", async () => {
    const { s, rosa, key } = await withKey();
    expect(key).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);
    expect((await rosa.get("/api_key").expect(200)).body).toEqual({ success: true, artist: ROSA, key });
    const zoe = await signInAs(s, ZOE, PASSWORD);
    expect((await zoe.get("/api_key").expect(200)).body.key).not.toBe(key);
    const origin = toolOrigin(s, "comfy-ui");
    expect((await fetch(`${origin}/k/${key}/queue`)).status).toBe(200);

    await post(rosa, "/api_key", { rotate: false }).expect(400);
    const rotated = (await post(rosa, "/api_key", { rotate: true }).expect(200)).body.key as string;
    expect(rotated).not.toBe(key);
    expect((await rosa.get("/api_key").expect(200)).body.key).toBe(rotated);
    for (const url of [`${origin}/k/${key}/queue`]) expect((await fetch(url)).status).toBe(401);
    expect((await fetch(`${origin}/queue`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(
      401,
    );
    expect((await fetch(`${origin}/k/${rotated}/queue`)).status).toBe(200);
    // Without an artist there is no key to show.
    const nobody = s.agent();
    await post(nobody, "/login", { password: PASSWORD }).expect(200);
    await nobody.get("/api_key").expect(400);
  });

  it("a key survives a studio restart", async () => {
    const { s, key } = await withKey();
    await s.close();
    const again = await studio({ dirs: s.dirs, env: { STUDIO_PASSWORD: PASSWORD } });
    const rosa = await signInAs(again, ROSA, PASSWORD);
    expect((await rosa.get("/api_key").expect(200)).body.key).toBe(key);
  });

  it("as a Bearer header or a /k/{key}/ prefix the artist is known, and neither reaches the tool", async () => {
    const { s, key } = await withKey();
    const origin = toolOrigin(s, "comfy-ui");
    const byHeader = await fetch(`${origin}/api/history?max_items=1`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(byHeader.status).toBe(200);
    const byPrefix = await fetch(`${origin}/k/${key}/api/queue?x=1`);
    expect(byPrefix.status).toBe(200);
    const root = await fetch(`${origin}/k/${key}`);
    expect(await root.text()).toContain("ComfyUI stand-in");
    const seen = standinRequests(s.dirs, "comfy-ui").filter((r) => !r.url.startsWith("/system_stats"));
    expect(seen.map((r) => r.url)).toEqual(["/api/history?max_items=1", "/api/queue?x=1", "/"]);
    for (const request of seen) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers["comfy-user"]).toBe(comfyUserId(s.dirs, ROSA));
      expect(JSON.stringify(request)).not.toContain(key);
    }
    // A prompt sent with a key lands in the artist's folder too.
    await fetch(`${origin}/k/${key}/prompt`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        prompt: { "9": { class_type: "SaveImage", inputs: { filename_prefix: "api" } } },
      }),
    });
    expect(comfyPrompts(s.dirs)[0]!.prompt["9"]!.inputs.filename_prefix).toBe(`${ROSA}/api`);
  });

  it("a WebSocket through /k/{key}/ws", async () => {
    const { s, key } = await withKey();
    const socket = await openSocket(`${wsOrigin(s, "comfy-ui")}/k/${key}/ws?clientId=script`);
    await waitFor(() => socket.messages[0], { what: "the status message" });
    expect(JSON.parse(socket.messages[0]!)).toMatchObject({ type: "status", data: { sid: "script" } });
    socket.ws.close();
    expect(await socket.closed).toBe(1005);
    const seen = standinRequests(s.dirs, "comfy-ui").find((r) => r.ws)!;
    expect(seen.url).toBe("/ws?clientId=script");
    expect(seen.headers["comfy-user"]).toBe(comfyUserId(s.dirs, ROSA));
  });

  it("with STUDIO_PASSWORD the key is the only way in without a browser session; a bad key is 401", async () => {
    const { s, key } = await withKey();
    const origin = toolOrigin(s, "comfy-ui");
    const other = `csk_${"A".repeat(43)}`;
    const refused: { label: string; url: string; headers: Record<string, string> }[] = [
      { label: "nothing", url: `${origin}/queue`, headers: {} },
      { label: "an unknown key as prefix", url: `${origin}/k/${other}/queue`, headers: {} },
      { label: "a malformed prefix", url: `${origin}/k/nope/queue`, headers: {} },
      { label: "a key cut short", url: `${origin}/k/${key.slice(0, -1)}/queue`, headers: {} },
      {
        label: "an unknown Bearer key",
        url: `${origin}/queue`,
        headers: { Authorization: `Bearer ${other}` },
      },
      { label: "a tool's own token", url: `${origin}/queue`, headers: { Authorization: "Bearer abc" } },
      { label: "the key in a query", url: `${origin}/queue?key=${key}`, headers: {} },
    ];
    for (const { label, url, headers } of refused) {
      const res = await fetch(url, { headers });
      expect(res.status, label).toBe(401);
      expect(res.headers.get("content-type"), label).toMatch(/application\/json/);
      expect(((await res.json()) as { success: boolean }).success, label).toBe(false);
    }
    expect((await refusedSocket(`${wsOrigin(s, "comfy-ui")}/k/${other}/ws`)).status).toBe(401);
    expect((await refusedSocket(`${wsOrigin(s, "comfy-ui")}/ws`)).status).toBe(401);
    expect(standinRequests(s.dirs, "comfy-ui").filter((r) => !r.url.startsWith("/system_stats"))).toEqual([]);
  });

  it("without a password a tool's own Bearer token goes through untouched", async () => {
    const s = await studio();
    await runTool(await signInAs(s, ROSA));
    await fetch(`${toolOrigin(s, "comfy-ui")}/own`, { headers: { Authorization: "Bearer tool-token" } });
    const seen = standinRequests(s.dirs, "comfy-ui").find((r) => r.url === "/own")!;
    expect(seen.headers.authorization).toBe("Bearer tool-token");
    expect(seen.headers["comfy-user"]).toBe("default");
  });
});
