/**
 * Entering a tool: `/open` hands the artist to the tool's port with a one-time ticket, the port swaps it for
 * a cookie of its own; tickets and cookies that are replayed, forged, expired or for another tool never
 * pass; what a tool port does without either; what `/open` answers to someone who cannot enter yet.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { TICKET_PARAM } from "../../server/gateway/tickets.js";
import { makeToolCookie, TOOL_COOKIE_TTL_MS, toolCookieName } from "../../server/gateway/cookies.js";
import { post } from "../helpers/http.js";
import { standinRequests } from "../helpers/standin.js";
import {
  comfyUserId,
  enter,
  openUrl,
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
const PASSWORD = "studio-pw-entering";
const withPassword = { env: { STUDIO_PASSWORD: PASSWORD } };

describe("entering a tool through /open", () => {
  it("302s to the tool with a ticket; the port swaps it for an HttpOnly, SameSite=Lax cookie named with the port and 302s to the same path", async () => {
    const s = await studio(withPassword);
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    const port = s.config.toolPorts["comfy-ui"];

    const open = await rosa
      .get(`/open/comfy-ui?next=${encodeURIComponent("/deep/page?x=1&y=2")}`)
      .expect(302);
    expect(open.headers["cache-control"]).toBe("no-store");
    expect(open.headers["referrer-policy"]).toBe("no-referrer");
    const target = new URL(open.headers.location as string);
    expect(target.origin).toBe(`http://127.0.0.1:${port}`);
    expect(target.pathname).toBe("/deep/page");
    const ticket = target.searchParams.get(TICKET_PARAM)!;
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const swap = await fetch(target, { redirect: "manual", headers: { Accept: "text/html" } });
    expect(swap.status).toBe(302);
    expect(swap.headers.get("location")).toBe("/deep/page?x=1&y=2");
    expect(swap.headers.get("cache-control")).toBe("no-store");
    const setCookie = swap.headers.get("set-cookie")!;
    expect(setCookie).toMatch(
      new RegExp(`^${toolCookieName(port)}=[^;]+; Max-Age=43200; Path=/; HttpOnly; SameSite=Lax$`),
    );
    expect(setCookie).not.toMatch(/Secure|Domain/i);

    const cookie = setCookie.split(";")[0]!;
    const inside = await fetch(`${toolOrigin(s, "comfy-ui")}/deep/page?x=1&y=2`, { headers: { cookie } });
    expect(inside.status).toBe(200);
    expect(await inside.json()).toEqual({ tool: "comfy-ui", path: "/deep/page?x=1&y=2" });
    const seen = standinRequests(s.dirs, "comfy-ui").filter((r) => r.url.startsWith("/deep"));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["comfy-user"]).toBe(comfyUserId(s.dirs, ROSA));
    // The ticket never reached the tool: the swap was answered by the gateway.
    for (const request of standinRequests(s.dirs, "comfy-ui")) {
      expect(request.url).not.toContain(TICKET_PARAM);
      expect(JSON.stringify(request)).not.toContain(ticket);
    }
  });

  it("the cookie is Secure when the request came over https (X-Forwarded-Proto)", async () => {
    const s = await studio(withPassword);
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    const { setCookie } = await enter(rosa, "comfy-ui", { headers: { "X-Forwarded-Proto": "https" } });
    expect(setCookie).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it("a next that leaves the tool is not followed", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    await runTool(rosa);
    for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example"]) {
      const url = await openUrl(rosa, "comfy-ui", next);
      expect(url.origin).toBe(toolOrigin(s, "comfy-ui"));
      expect(url.pathname).toBe("/");
    }
  });

  it("a replayed, forged or other-tool ticket never passes, and never reaches the tool", async () => {
    const s = await studio(withPassword);
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    await runTool(rosa, "lora-tool");
    const used = await enter(rosa, "comfy-ui");
    const forComfy = (await openUrl(rosa, "comfy-ui")).searchParams.get(TICKET_PARAM)!;
    const tries = [
      { label: "replayed", origin: toolOrigin(s, "comfy-ui"), ticket: used.ticket, tool: "comfy-ui" },
      { label: "forged", origin: toolOrigin(s, "comfy-ui"), ticket: "A".repeat(32), tool: "comfy-ui" },
      { label: "other tool", origin: toolOrigin(s, "lora-tool"), ticket: forComfy, tool: "lora-tool" },
    ];
    for (const { label, origin, ticket, tool } of tries) {
      const url = `${origin}/page?${TICKET_PARAM}=${ticket}`;
      const page = await fetch(url, { redirect: "manual", headers: { Accept: "text/html" } });
      expect(page.status, label).toBe(302);
      expect(page.headers.get("set-cookie"), label).toBeNull();
      expect(page.headers.get("location"), label).toBe(
        `http://127.0.0.1:${s.config.port}/open/${tool}?next=${encodeURIComponent("/page")}`,
      );
      const script = await fetch(url, { redirect: "manual" });
      expect(script.status, label).toBe(401);
      expect((await script.json()) as unknown, label).toMatchObject({ success: false });
    }
    // The cross-tool ticket was spent by the try: it no longer opens ComfyUI either.
    const spent = await fetch(`${toolOrigin(s, "comfy-ui")}/?${TICKET_PARAM}=${forComfy}`, {
      redirect: "manual",
    });
    expect(spent.status).toBe(401);
    for (const tool of ["comfy-ui", "lora-tool"]) {
      for (const request of standinRequests(s.dirs, tool)) expect(request.url).not.toContain(TICKET_PARAM);
    }
  });

  it("without a password, a spent ticket passes as no artist, with the ticket taken out", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    await runTool(rosa);
    const { ticket } = await enter(rosa, "comfy-ui");
    const again = await fetch(`${toolOrigin(s, "comfy-ui")}/again?a=1&${TICKET_PARAM}=${ticket}`);
    expect(await again.json()).toEqual({ tool: "comfy-ui", path: "/again?a=1" });
    const seen = standinRequests(s.dirs, "comfy-ui").find((r) => r.url.startsWith("/again"))!;
    expect(seen.headers["comfy-user"]).toBe("default");
  });

  it("a tool cookie is signed and bound to its port and tool", async () => {
    const s = await studio(withPassword);
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    await runTool(rosa, "lora-tool");
    const { cookie } = await enter(rosa, "comfy-ui");
    const value = cookie.slice(cookie.indexOf("=") + 1);
    const loraName = toolCookieName(s.config.toolPorts["lora-tool"]);
    const [payload, signature] = value.split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify(["comfy-ui", ZOE, Date.now() + 60_000])).toString("base64url");
    const cases = [
      { label: "ComfyUI's cookie on the LoRA-Tool port", origin: toolOrigin(s, "lora-tool"), cookie },
      {
        label: "ComfyUI's value under the LoRA-Tool name",
        origin: toolOrigin(s, "lora-tool"),
        cookie: `${loraName}=${value}`,
      },
      {
        label: "another artist in the payload",
        origin: toolOrigin(s, "comfy-ui"),
        cookie: `${cookie.split("=")[0]}=${forged}.${signature}`,
      },
      {
        label: "a signature cut short",
        origin: toolOrigin(s, "comfy-ui"),
        cookie: `${cookie.split("=")[0]}=${payload}.${signature.slice(1)}`,
      },
    ];
    for (const { label, origin, cookie: header } of cases) {
      const res = await fetch(`${origin}/x`, { headers: { cookie: header } });
      expect(res.status, label).toBe(401);
    }
    expect((await fetch(`${toolOrigin(s, "comfy-ui")}/x`, { headers: { cookie } })).status).toBe(200);
  });

  it("a cookie in the second half of its life is renewed on use", async () => {
    const s = await studio(withPassword);
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    const port = s.config.toolPorts["comfy-ui"];
    const make = (ms: number) =>
      `${toolCookieName(port)}=${makeToolCookie(s.studio.sessionSecret, { toolId: "comfy-ui", artist: ROSA, expires: Date.now() + ms })}`;
    const fresh = await fetch(`${toolOrigin(s, "comfy-ui")}/x`, {
      headers: { cookie: make(TOOL_COOKIE_TTL_MS - 1000) },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("set-cookie")).toBeNull();
    const old = await fetch(`${toolOrigin(s, "comfy-ui")}/x`, { headers: { cookie: make(60_000) } });
    expect(old.status).toBe(200);
    const renewed = old.headers.get("set-cookie")!;
    expect(renewed).toMatch(
      new RegExp(`^${toolCookieName(port)}=[^;]+; Max-Age=43200; Path=/; HttpOnly; SameSite=Lax$`),
    );
    expect(
      (await fetch(`${toolOrigin(s, "comfy-ui")}/x`, { headers: { cookie: renewed.split(";")[0]! } })).status,
    ).toBe(200);
    // The renewal survives an answer that sets the tool's own cookie.
    const both = await fetch(`${toolOrigin(s, "comfy-ui")}/_standin/cookie`, {
      headers: { cookie: make(60_000) },
    });
    const set = both.headers.getSetCookie();
    expect(set).toHaveLength(2);
    expect(set).toEqual(
      expect.arrayContaining([
        "standin=comfy-ui; Path=/",
        expect.stringMatching(new RegExp(`^${toolCookieName(port)}=`)),
      ]),
    );
    const expired = await fetch(`${toolOrigin(s, "comfy-ui")}/x`, { headers: { cookie: make(-1) } });
    expect(expired.status).toBe(401);
  });

  it("the tool gets its own cookies, never the studio's session or tool cookies", async () => {
    const s = await studio(withPassword);
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    const { cookie } = await enter(rosa, "comfy-ui");
    const other = `${toolCookieName(s.config.toolPorts["lora-tool"])}=x`;
    await fetch(`${toolOrigin(s, "comfy-ui")}/cookies`, {
      headers: { cookie: `theme=dark; comfystudio.sid=s%3Aabc; ${cookie}; ${other}; _xsrf=2|a` },
    });
    const seen = standinRequests(s.dirs, "comfy-ui").find((r) => r.url === "/cookies")!;
    expect(seen.headers.cookie).toBe("theme=dark; _xsrf=2|a");
    await fetch(`${toolOrigin(s, "comfy-ui")}/no-cookies`, {
      headers: { cookie: `${cookie}; comfystudio.sid=x` },
    });
    expect(
      standinRequests(s.dirs, "comfy-ui").find((r) => r.url === "/no-cookies")!.headers.cookie,
    ).toBeUndefined();
  });

  it("the ticket shows in no log: not the studio's, not the tool's", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
    const s = await studio({ ...withPassword, logger });
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    const { ticket, cookie } = await enter(rosa, "comfy-ui");
    await fetch(`${toolOrigin(s, "comfy-ui")}/?${TICKET_PARAM}=${ticket}`, { headers: { cookie } });
    expect(lines.some((line) => line.includes("/open/comfy-ui"))).toBe(true);
    expect(lines.join("\n")).not.toContain(ticket);
    const log = (await rosa.get("/logs?source=comfy-ui").expect(200)).body as { content: string };
    expect(log.content).toMatch(/stand-in comfy-ui/);
    expect(log.content).not.toContain(ticket);
  });
});

describe("a tool port without a cookie or ticket", () => {
  it("with STUDIO_PASSWORD: a browser navigation is sent to /open with next, anything else gets 401 JSON", async () => {
    const s = await studio(withPassword);
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    const origin = toolOrigin(s, "comfy-ui");
    const page = await fetch(`${origin}/some/page?q=1`, {
      redirect: "manual",
      headers: { Accept: "text/html,*/*" },
    });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(
      `http://127.0.0.1:${s.config.port}/open/comfy-ui?next=${encodeURIComponent("/some/page?q=1")}`,
    );
    // The studio is named as the browser reached this port: its host, the studio's port, https behind a proxy.
    const proxied = await rawRequest(`${origin}/`, {
      headers: { Accept: "text/html", Host: "studio.example:8188", "X-Forwarded-Proto": "https" },
    });
    expect(proxied.headers.location).toBe(`https://studio.example:${s.config.port}/open/comfy-ui?next=%2F`);

    for (const [method, accept] of [
      ["GET", "application/json"],
      ["POST", "text/html"],
      ["GET", "*/*"],
    ] as const) {
      const res = await fetch(`${origin}/prompt`, {
        method,
        headers: { Accept: accept },
        redirect: "manual",
      });
      expect(res.status, `${method} ${accept}`).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect((await res.json()) as { message: string }).toMatchObject({
        success: false,
        message: expect.stringMatching(/through the studio/),
      });
    }
    const ws = await refusedSocket(`${wsOrigin(s, "comfy-ui")}/ws`);
    expect(ws.status).toBe(401);
    expect(standinRequests(s.dirs, "comfy-ui").filter((r) => !r.url.startsWith("/system_stats"))).toEqual([]);
  });

  it("on RunPod the way in is the studio's proxy address", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD, RUNPOD_POD_ID: "pod123" } });
    const rosa = await signInAs(s, ROSA, PASSWORD);
    await runTool(rosa);
    expect((await openUrl(rosa, "comfy-ui")).origin).toBe(
      `https://pod123-${s.config.toolPorts["comfy-ui"]}.proxy.runpod.net`,
    );
    const page = await rawRequest(`${toolOrigin(s, "comfy-ui")}/x`, {
      headers: { Accept: "text/html", Host: `pod123-${s.config.toolPorts["comfy-ui"]}.proxy.runpod.net` },
    });
    expect(page.headers.location).toBe(
      `https://pod123-${s.config.port}.proxy.runpod.net/open/comfy-ui?next=%2Fx`,
    );
  });

  it("without a password: requests pass as no artist (ComfyUI's default user)", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    await runTool(rosa);
    const res = await fetch(`${toolOrigin(s, "comfy-ui")}/userdata/a.json`, {
      method: "POST",
      body: "{}",
      headers: { "comfy-user": comfyUserId(s.dirs, ROSA) },
    });
    expect(res.status).toBe(200);
    const seen = standinRequests(s.dirs, "comfy-ui").find((r) => r.url === "/userdata/a.json")!;
    expect(seen.headers["comfy-user"]).toBe("default");
  });
});

describe("/open for someone who cannot enter yet", () => {
  it("not logged in: the login page, with the way on", async () => {
    const s = await studio(withPassword);
    const res = await s.agent().get("/open/comfy-ui?next=/x").expect(302);
    expect(res.headers.location).toBe(`/?next=${encodeURIComponent("/open/comfy-ui?next=%2Fx")}`);
    const page = await s
      .agent()
      .get(res.headers.location as string)
      .expect(200);
    expect(page.text).toMatch(/id="login-form"/);
  });

  it("no artist yet: the studio page, asking to pick a name", async () => {
    const s = await studio(withPassword);
    const agent = s.agent();
    await post(agent, "/login", { password: PASSWORD }).expect(200);
    const res = await agent.get("/open/comfy-ui").expect(302);
    expect(res.headers.location).toBe(`/?next=${encodeURIComponent("/open/comfy-ui")}`);
    const page = await agent.get(res.headers.location as string).expect(200);
    expect(page.text).toMatch(/id="artist"/);
    expect(page.text).not.toMatch(/id="login-form"/);
  });

  it("an unknown tool is 404; a tool that is not running gets a 503 page with a link back", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    const unknown = await rosa.get("/open/no-such-tool").expect(404);
    expect(unknown.body).toMatchObject({ success: false, message: expect.stringMatching(/no-such-tool/) });
    const stopped = await rosa.get("/open/comfy-ui").set("Host", `127.0.0.1:${s.config.port}`).expect(503);
    expect(stopped.headers["content-type"]).toMatch(/text\/html/);
    expect(stopped.text).toMatch(/ComfyUI is not running/);
    expect(stopped.text).toContain(`<a href="http://127.0.0.1:${s.config.port}">Back to the studio</a>`);
  });
});
