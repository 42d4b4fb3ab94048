import { existsSync } from "node:fs";
import path from "node:path";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { freshApp } from "./helpers.js";

const t = freshApp();

describe("the page", () => {
  it("is served with security headers and a CSP without inline scripts", async () => {
    await request(t.app).post("/api/datasets").send({ name: "<b>cats</b>" }).expect(400);
    await request(t.app).post("/api/datasets").send({ name: "cats & dogs" }).expect(400);
    await request(t.app).post("/api/datasets").send({ name: "cats" }).expect(201);
    const page = await request(t.app).get("/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    const csp = page.headers["content-security-policy"] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["x-powered-by"]).toBeUndefined();
    expect(page.text).toContain('<script type="module" src="/static/app.js"></script>');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/\son[a-z]+\s*=/i);
    expect(page.text).toContain('data-dataset="cats"');
  });

  it("serves the stylesheets and the kit's browser modules, but no sources", async () => {
    const css = await request(t.app).get("/static/style.css");
    expect(css.status).toBe(200);
    expect(css.headers["content-type"]).toMatch(/text\/css/);
    const tokens = await request(t.app).get("/static/kit/web/tokens.css");
    expect(tokens.status).toBe(200);
    expect(tokens.text).toContain("--accent:");
    const client = await request(t.app).get("/static/kit/web/api.js");
    expect(client.status).toBe(200);
    expect(client.headers["content-type"]).toMatch(/javascript/);
    expect(client.text).toContain("export function jsonClient");
    for (const url of [
      "/static/app.ts",
      "/static/tsconfig.json",
      "/static/../server/app.ts",
      "/static/kit/web/api.ts",
      "/static/kit/web/api.d.ts",
      "/static/kit/web/tsconfig.json",
      "/static/kit/node/paths.js",
      "/static/kit/package.json",
    ]) {
      const answer = await request(t.app).get(url);
      expect(answer.status, url).toBe(404);
      expect(answer.body.success).toBe(false);
    }
  });
});

describe("request guards", () => {
  it("refuses writes from another origin with 403 and does nothing", async () => {
    for (const origin of ["http://evil.example", "null", "http://127.0.0.1.evil.example"]) {
      const answer = await request(t.app)
        .post("/api/datasets")
        .set("Host", "pod.example:3000")
        .set("Origin", origin)
        .send({ name: "cats" });
      expect(answer.status, origin).toBe(403);
      expect(answer.body).toEqual({ success: false, message: expect.any(String) });
    }
    const crossSite = await request(t.app)
      .post("/api/datasets")
      .set("Sec-Fetch-Site", "cross-site")
      .send({ name: "cats" });
    expect(crossSite.status).toBe(403);
    expect(existsSync(path.join(t.dirs.datasetsDir, "cats"))).toBe(false);
  });

  it("accepts writes from the same host, also behind a proxy that sets X-Forwarded-Host", async () => {
    const same = await request(t.app)
      .post("/api/datasets")
      .set("Host", "pod.example:3000")
      .set("Origin", "http://pod.example:3000")
      .send({ name: "one" });
    expect(same.status).toBe(201);
    const proxied = await request(t.app)
      .post("/api/datasets")
      .set("Host", "localhost:3000")
      .set("X-Forwarded-Host", "abc123-3000.proxy.runpod.net")
      .set("Origin", "https://abc123-3000.proxy.runpod.net")
      .send({ name: "two" });
    expect(proxied.status).toBe(201);
    // Through the studio's gateway: the browser's Host, the RunPod proxy's X-Forwarded-* headers.
    const gateway = await request(t.app)
      .post("/api/datasets")
      .set("Host", "abc123-3000.proxy.runpod.net")
      .set("X-Forwarded-Host", "abc123-3000.proxy.runpod.net:443")
      .set("X-Forwarded-Proto", "https")
      .set("X-Forwarded-For", "203.0.113.7, 100.64.0.2")
      .set("Origin", "https://abc123-3000.proxy.runpod.net")
      .set("Sec-Fetch-Site", "same-origin")
      .send({ name: "three" });
    expect(gateway.status).toBe(201);
  });

  it("wants JSON for writes (415), limits bodies (413) and explains bad JSON (400)", async () => {
    const text = await request(t.app)
      .post("/api/datasets")
      .set("Content-Type", "text/plain")
      .send("name=cats");
    expect(text.status).toBe(415);
    expect(text.body.success).toBe(false);
    const none = await request(t.app).post("/api/datasets");
    expect(none.status).toBe(415);
    const big = await request(t.app)
      .post("/api/datasets")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ name: "x", pad: "y".repeat(1_100_000) }));
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ success: false, message: expect.stringContaining("too large") });
    const broken = await request(t.app)
      .post("/api/datasets")
      .set("Content-Type", "application/json")
      .send("{name:");
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ success: false, message: expect.stringContaining("not valid JSON") });
  });

  it("answers unknown paths with 404 JSON", async () => {
    for (const url of ["/api/nothing", "/nothing"]) {
      const answer = await request(t.app).get(url);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ success: false, message: expect.any(String) });
    }
  });
});
