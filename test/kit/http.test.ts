/** The kit's request guards, security headers and JSON answers, on a small Express app of their own. */
import { errorHandler, notFoundHandler } from "@comfystudio/kit/answers";
import { badRequest, conflict } from "@comfystudio/kit/errors";
import { requireJson, sameOrigin } from "@comfystudio/kit/guards";
import { securityHeaders } from "@comfystudio/kit/security-headers";
import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";

function appWith(route: express.RequestHandler = (_req, res) => void res.json({ success: true })) {
  const logged: string[] = [];
  const app = express();
  app.use(securityHeaders());
  app.use(sameOrigin);
  app.use(requireJson);
  app.use(express.json({ limit: "1kb" }));
  app.all("/do", route);
  app.use(notFoundHandler);
  app.use(
    errorHandler({ name: "The test app", logger: { error: (_fields, message) => logged.push(message) } }),
  );
  return { app, logged };
}

describe("sameOrigin", () => {
  const { app } = appWith();
  const post = (headers: Record<string, string>) => {
    const req = request(app).post("/do").set("Content-Type", "application/json");
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    return req.send("{}");
  };

  it("passes writes from the host they were sent to, directly or through proxies", async () => {
    const passing: Record<string, string>[] = [
      {},
      { Host: "pod.example:3000", Origin: "http://pod.example:3000" },
      {
        Host: "localhost:3000",
        "X-Forwarded-Host": "abc-3000.proxy.runpod.net",
        Origin: "https://abc-3000.proxy.runpod.net",
      },
      // The studio's gateway keeps the browser's Host; a proxy may name the default port.
      {
        Host: "abc-3000.proxy.runpod.net",
        "X-Forwarded-Proto": "https",
        Origin: "https://abc-3000.proxy.runpod.net",
      },
      {
        Host: "127.0.0.1:41234",
        "X-Forwarded-Host": "abc-3000.proxy.runpod.net:443",
        Origin: "https://abc-3000.proxy.runpod.net",
      },
      {
        Host: "127.0.0.1:41234",
        "X-Forwarded-Host": "a.example, abc-3000.proxy.runpod.net",
        Origin: "https://abc-3000.proxy.runpod.net",
      },
      { Host: "pod.example", Origin: "http://pod.example", "Sec-Fetch-Site": "same-origin" },
    ];
    for (const headers of passing) {
      expect((await post(headers)).status, JSON.stringify(headers)).toBe(200);
    }
  });

  it("refuses writes from another site with 403 JSON, and lets reads pass", async () => {
    const refused: Record<string, string>[] = [
      { Host: "pod.example:3000", Origin: "http://evil.example" },
      { Host: "pod.example:3000", Origin: "null" },
      { Host: "pod.example:3000", Origin: "http://pod.example:3001" },
      { Host: "pod.example", Origin: "http://pod.example.evil.example" },
      {
        Host: "127.0.0.1:41234",
        "X-Forwarded-Host": "abc-3000.proxy.runpod.net:80",
        Origin: "https://abc-3000.proxy.runpod.net",
      },
      { "Sec-Fetch-Site": "cross-site" },
    ];
    for (const headers of refused) {
      const answer = await post(headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.body).toEqual({ success: false, message: expect.stringMatching(/another site/) });
    }
    const read = await request(app)
      .get("/do")
      .set("Origin", "http://evil.example")
      .set("Sec-Fetch-Site", "cross-site");
    expect(read.status).toBe(200);
  });
});

describe("requireJson, security headers and answers", () => {
  it("wants JSON for writes (415), and explains a bad or large body", async () => {
    const { app } = appWith();
    expect((await request(app).post("/do").type("form").send("a=1")).status).toBe(415);
    expect((await request(app).post("/do")).status).toBe(415);
    const broken = await request(app).post("/do").set("Content-Type", "application/json").send("{a:");
    expect(broken.body).toEqual({ success: false, message: "The request body is not valid JSON." });
    const large = await request(app)
      .post("/do")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ pad: "x".repeat(2000) }));
    expect(large.status).toBe(413);
    expect(large.body.message).toMatch(/too large/);
  });

  it("sends a CSP without inline scripts or styles, and no framing", async () => {
    const { app } = appWith();
    const answer = await request(app).get("/do");
    const csp = answer.headers["content-security-policy"] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|upgrade-insecure-requests/);
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answers thrown errors as JSON: a StudioError as it is, a full disk 507, a fault 500 without its details", async () => {
    const errors: unknown[] = [
      badRequest("The name is bad."),
      conflict("It is taken."),
      Object.assign(new Error("ENOSPC: no space left on device, write '/ws/secret/path'"), {
        code: "ENOSPC",
      }),
      new Error("internal detail at /ws/secret/path"),
    ];
    let next = 0;
    const { app, logged } = appWith(() => {
      throw errors[next++];
    });
    const answers = [];
    for (let i = 0; i < errors.length; i++) answers.push(await request(app).get("/do"));
    expect(answers.map((answer) => [answer.status, answer.body])).toEqual([
      [400, { success: false, message: "The name is bad." }],
      [409, { success: false, message: "It is taken." }],
      [
        507,
        {
          success: false,
          message: expect.stringMatching(/^The test app cannot save this: the disk is full/),
        },
      ],
      [500, { success: false, message: "The test app hit an unexpected error; it was logged." }],
    ]);
    expect(JSON.stringify(answers.map((answer) => answer.body))).not.toContain("secret");
    expect(logged).toEqual(["the disk is full", "request failed"]);
    const unknown = await request(app).get("/nothing");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ success: false, message: "There is nothing at GET /nothing." });
  });

  it("ends an answer already under way when it fails, rather than sending a second one", async () => {
    const { app } = appWith((_req, res) => {
      res.write("partial");
      throw new Error("broke mid-answer");
    });
    await expect(request(app).get("/do")).rejects.toThrow();
  });
});
