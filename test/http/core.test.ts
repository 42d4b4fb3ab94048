import { readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import request from "supertest";
import type { Request } from "express";
import { LoginBudget, OVERALL, PER_ADDRESS } from "../../server/http/login-budget.js";
import { describe, expect, it } from "vitest";
import { post, useStudios } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";

const studio = useStudios();
const json = post;

describe("sessions", () => {
  it("two browsers keep separate artists", async () => {
    const s = await studio();
    const a = s.agent();
    const b = s.agent();
    expect(
      (await json(a, "/set_artist", { artist: "rosa macak cizmesija " }).expect(200)).body,
    ).toMatchObject({
      success: true,
      artist: "Rosa Macak Cizmesija",
      is_admin: false,
    });
    await json(b, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    expect((await a.get("/debug")).body.session).toEqual({
      artist: "Rosa Macak Cizmesija",
      admin_mode: false,
    });
    expect((await b.get("/debug")).body.session).toEqual({ artist: "Razvan Matei", admin_mode: false });
    const page = await a.get("/").expect(200);
    expect(page.text).toMatch(/<option value="Rosa Macak Cizmesija" selected>/);
    expect(page.text).not.toMatch(/<option value="Razvan Matei" selected>/);
    expect((await request(s.app).get("/debug")).body.session.artist).toBeNull();
  });

  it("refuses an unknown name and keeps the old one", async () => {
    const s = await studio();
    const a = s.agent();
    await json(a, "/set_artist", { artist: "Rosa Macak Cizmesija" }).expect(200);
    const res = await json(a, "/set_artist", { artist: "../../etc" }).expect(400);
    expect(res.body).toMatchObject({ success: false });
    expect(res.body.message).toMatch(/not on the studio's list/);
    expect((await a.get("/debug")).body.session.artist).toBe("Rosa Macak Cizmesija");
  });

  it("admin mode: only admins, dropped when the artist changes", async () => {
    const s = await studio();
    const a = s.agent();
    await json(a, "/set_admin_mode", { admin_mode: true }).expect(403);
    await json(a, "/set_artist", { artist: "Rosa Macak Cizmesija" }).expect(200);
    await json(a, "/set_admin_mode", { admin_mode: true }).expect(403);
    await json(a, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    const on = await json(a, "/set_admin_mode", { admin_mode: true }).expect(200);
    expect(on.body.admin_mode).toBe(true);
    expect((await a.get("/debug")).body.session.admin_mode).toBe(true);
    expect((await a.get("/debug")).body.warnings.join(" ")).toMatch(/ADMIN_PASSWORD is not set/);
    await json(a, "/set_artist", { artist: "Zoë Šimić" }).expect(200);
    await json(a, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    expect((await a.get("/debug")).body.session.admin_mode).toBe(false);
  });

  it("with ADMIN_PASSWORD set, admin mode needs it", async () => {
    const s = await studio({ env: { ADMIN_PASSWORD: "s3cret-admin" } });
    const admin = s.agent();
    const artist = s.agent();
    await json(artist, "/set_artist", { artist: "Rosa Macak Cizmesija" }).expect(200);
    await json(artist, "/set_admin_mode", { admin_mode: true, password: "s3cret-admin" }).expect(403);
    await json(admin, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    await json(admin, "/set_admin_mode", { admin_mode: true }).expect(403);
    await json(admin, "/set_admin_mode", { admin_mode: true, password: "wrong" }).expect(403);
    await json(admin, "/set_admin_mode", { admin_mode: true, password: "s3cret-admin" }).expect(200);
    const debug = (await admin.get("/debug")).body;
    expect(debug.session.admin_mode).toBe(true);
    expect(JSON.stringify(debug)).not.toContain("s3cret-admin");
    expect(debug.warnings.join(" ")).not.toMatch(/ADMIN_PASSWORD is not set/);
  });

  it("a session survives a restart on the same STATE_DIR", async () => {
    const first = await studio();
    const a = first.agent();
    await json(a, "/set_artist", { artist: "Razvan Matei" }).expect(200);
    await json(a, "/set_admin_mode", { admin_mode: true }).expect(200);
    const cookie = (await a.get("/debug")).request.cookies;
    await first.close();
    const second = await studio({ dirs: first.dirs });
    const again = await request(second.app).get("/debug").set("Cookie", cookie).expect(200);
    expect(again.body.session).toEqual({ artist: "Razvan Matei", admin_mode: true });
    const secret = path.join(first.dirs.state, "session_secret");
    expect(statSync(secret).mode & 0o777).toBe(0o600);
  });
});

describe("login", () => {
  it("STUDIO_PASSWORD guards everything but /healthz and the login page", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: "open-sesame" } });
    const a = s.agent();
    await a.get("/healthz").expect(200, { success: true, ok: true });
    const page = await a.get("/").expect(200);
    expect(page.text).toMatch(/Studio password/);
    expect(page.text).not.toMatch(/Rosa/);
    for (const url of ["/debug", "/tools", "/jobs", "/models", "/logs?source=comfy-ui"]) {
      const res = await a.get(url).expect(401);
      expect(res.body.success).toBe(false);
    }
    await json(a, "/set_artist", { artist: "Rosa Macak Cizmesija" }).expect(401);
    await json(a, "/login", { password: "nope" }).expect(401);
    await json(a, "/login", { password: "open-sesame" }).expect(200);
    await a.get("/debug").expect(200);
    expect((await a.get("/")).text).toMatch(/Rosa Macak Cizmesija/);
    await json(a, "/logout", {}).expect(200);
    await a.get("/debug").expect(401);
  });
});

describe("password guesses", () => {
  it("have a budget per proxied address; another address is not held back", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: "right-one" } });
    const statuses: number[] = [];
    for (let i = 0; i < PER_ADDRESS.burst + 2; i++) {
      const res = await post(s.agent(), "/login", { password: `guess-${i}` }).set(
        "X-Forwarded-For",
        `10.0.0.${i}, 203.0.113.7`,
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, PER_ADDRESS.burst).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(PER_ADDRESS.burst)).toEqual([429, 429]);
    const limited = await post(s.agent(), "/login", { password: "right-one" }).set(
      "X-Forwarded-For",
      "203.0.113.7",
    );
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    await post(s.agent(), "/login", { password: "right-one" })
      .set("X-Forwarded-For", "203.0.113.8")
      .expect(200);
  });

  it("have a budget for the whole studio that no header resets", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: "right-one" } });
    let limitedAt = -1;
    for (let i = 0; i < 200 && limitedAt < 0; i++) {
      const res = await post(s.agent(), "/login", { password: `guess-${i}` }).set(
        "X-Forwarded-For",
        `198.51.${i >> 8}.${i & 255}`,
      );
      if (res.status === 429) limitedAt = i;
      else expect(res.status).toBe(401);
    }
    expect(limitedAt).toBe(OVERALL.burst);
  });
});

describe("the password budget", () => {
  const req = (address: string) =>
    ({ headers: { "x-forwarded-for": address }, socket: {} }) as unknown as Request;

  it("lets the real user in again soon after an attack stops", () => {
    let now = 1_000_000;
    const budget = new LoginBudget(PER_ADDRESS, OVERALL, () => now);
    for (let i = 0; i < 500; i++) {
      const who = req(`10.1.${i >> 8}.${i & 255}`);
      try {
        budget.check(who);
        budget.failed(who);
      } catch {
        // limited: the attacker keeps trying
      }
      now += 10;
    }
    expect(() => budget.check(req("192.0.2.1"))).toThrow(/wait/);
    now += OVERALL.refillMs;
    expect(() => budget.check(req("192.0.2.1"))).not.toThrow();
  });
});

describe("request safety", () => {
  it("415 without a JSON content type, 403 from another origin, 413 over 1 MiB, 400 for bad JSON", async () => {
    const s = await studio();
    const a = s.agent();
    await a.post("/set_artist").type("form").send("artist=Rosa").expect(415);
    await a.post("/set_artist").expect(415);
    await json(a, "/set_artist", { artist: "Rosa Macak Cizmesija" })
      .set("Origin", "https://evil.example")
      .expect(403);
    await json(a, "/set_artist", { artist: "Rosa Macak Cizmesija" }).set("Origin", "null").expect(403);
    const same = await a
      .post("/set_artist")
      .set("Host", "pod-8080.proxy.runpod.net")
      .set("Origin", "https://pod-8080.proxy.runpod.net")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ artist: "Rosa Macak Cizmesija" }));
    expect(same.status).toBe(200);
    const big = await json(a, "/set_artist", { artist: "x".repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    expect(big.body.success).toBe(false);
    const bad = await a.post("/set_artist").set("Content-Type", "application/json").send("{ nope");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/not valid JSON/);
    const wrongType = await json(a, "/set_artist", { artist: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toMatch(/artist/);
    await json(a, "/set_artist", []).expect(400);
    await json(a, "/set_artist", {}).expect(400);
  });

  it("unknown paths get JSON 404; pages send security headers", async () => {
    const s = await studio();
    const res = await request(s.app).get("/nope/../../etc/passwd").expect(404);
    expect(res.body.success).toBe(false);
    await request(s.app).post("/nope").set("Content-Type", "application/json").send("{}").expect(404);
    const page = await request(s.app).get("/").expect(200);
    expect(page.headers["content-security-policy"]).toMatch(/script-src 'self'/);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["x-powered-by"]).toBeUndefined();
  });

  it("escapes names in the page", async () => {
    const s = await studio({ users: `USERS=( "Rosa" "<b>x</b>" "A & B" )` });
    const page = await request(s.app).get("/").expect(200);
    expect(page.text).not.toContain("<b>x</b>");
    expect(page.text).toContain("A &amp; B");
  });
});

describe("users file", () => {
  it("an edit shows on the page within 2 s; a broken edit keeps the list; output folders are made", async () => {
    const s = await studio();
    const a = s.agent();
    expect(existsSync(path.join(s.dirs.workspace, "ComfyUI", "output", "Zoë Šimić"))).toBe(true);
    writeFileSync(s.dirs.usersFile, `USERS=( "Rosa Macak Cizmesija" "Nina Novak:admin" )\n`);
    const started = Date.now();
    await waitFor(async () => (await a.get("/")).text.includes("Nina Novak"), {
      timeoutMs: 2_000,
      what: "the new name",
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await a.get("/debug")).body.admins).toEqual(["Nina Novak"]);
    expect(existsSync(path.join(s.dirs.workspace, "ComfyUI", "output", "Nina Novak"))).toBe(true);

    writeFileSync(s.dirs.usersFile, `USERS=( "Broken `);
    await waitFor(async () => (await a.get("/debug")).body.warnings.join(" ").includes("is broken"), {
      timeoutMs: 2_000,
      what: "the broken-file warning",
    });
    const debug = (await a.get("/debug")).body;
    expect(debug.users).toEqual(["Rosa Macak Cizmesija", "Nina Novak"]);
    expect((await a.get("/")).text).toMatch(/is broken/);
    // A removed user's folder stays.
    expect(existsSync(path.join(s.dirs.workspace, "ComfyUI", "output", "Zoë Šimić"))).toBe(true);
  });

  it("a missing file at start gives an empty list and a warning", async () => {
    const s = await studio({ users: "" });
    writeFileSync(s.dirs.usersFile, "");
    const debug = (await request(s.app).get("/debug").expect(200)).body;
    expect(debug.users).toEqual([]);
    expect(debug.warnings.join(" ")).toMatch(/users file/i);
    expect(debug.config.users_file).toBe(s.dirs.usersFile);
    expect(readFileSync(s.dirs.usersFile, "utf8")).toBe("");
  });
});
