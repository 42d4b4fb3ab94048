import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeApp, makeDirs, png, type TestDirs } from "./helpers.js";

const KEY = "sk-proj-QWERTYuiop1234567890zxcvABCD";

let dirs: TestDirs;
let lora: ReturnType<typeof makeApp>;
const settingsFile = () => path.join(dirs.stateDir, "lora-tool", "settings.json");

beforeEach(async () => {
  dirs = await makeDirs();
  lora = makeApp(dirs);
});

afterEach(async () => await dirs.cleanup());

describe("auto-caption settings", () => {
  it("start with defaults and no key", async () => {
    const { body } = await request(lora.app).get("/api/settings");
    expect(body).toEqual({
      success: true,
      settings: {
        base_url: "https://api.openai.com/v1",
        model: "gpt-4o-mini",
        concurrency: 3,
        api_key_set: false,
        api_key_hint: "",
      },
    });
  });

  it("keep the key only in a 0600 file and never send or log it", async () => {
    const bodies: string[] = [];
    const saved = await request(lora.app).post("/api/settings").send({
      base_url: "https://generativelanguage.googleapis.com/v1beta/openai/",
      model: "gemini-2.5-flash",
      api_key: KEY,
    });
    expect(saved.status).toBe(200);
    expect(saved.body.settings).toEqual({
      base_url: "https://generativelanguage.googleapis.com/v1beta/openai/",
      model: "gemini-2.5-flash",
      concurrency: 3,
      api_key_set: true,
      api_key_hint: "sk-…ABCD",
    });
    bodies.push(saved.text);

    const file = settingsFile();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({
      api_key: KEY,
      model: "gemini-2.5-flash",
    });
    expect((await readdir(path.dirname(file))).filter((name) => name.endsWith(".tmp"))).toEqual([]);

    // Every page and answer the app gives, after the key is set.
    await request(lora.app).post("/api/datasets").send({ name: "cats" });
    await request(lora.app)
      .post("/api/datasets/cats/images")
      .attach("images", await png(), "a.png");
    for (const url of [
      "/",
      "/api/settings",
      "/api/datasets",
      "/api/datasets/cats",
      "/api/presets",
      "/api/datasets/cats/autocaption",
    ]) {
      const answer = await request(lora.app).get(url);
      bodies.push(answer.text, JSON.stringify(answer.headers));
    }
    bodies.push((await request(lora.app).post("/api/settings").send({ model: "x" })).text);
    bodies.push((await request(lora.app).post("/api/settings").send({ base_url: KEY })).text);
    for (const text of bodies) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(KEY.slice(3, -4));
    }
    expect(lora.lines.length).toBeGreaterThan(5);
    expect(lora.lines.join("\n")).not.toContain(KEY.slice(3, -4));
  });

  it("keep the saved key when the key field is left out or empty, and forget it on request", async () => {
    await request(lora.app).post("/api/settings").send({ api_key: KEY }).expect(200);
    await request(lora.app).post("/api/settings").send({ model: "gpt-4.1-mini", api_key: "" }).expect(200);
    expect(JSON.parse(await readFile(settingsFile(), "utf8"))).toMatchObject({
      api_key: KEY,
      model: "gpt-4.1-mini",
    });
    const cleared = await request(lora.app).post("/api/settings").send({ clear_api_key: true });
    expect(cleared.body.settings).toMatchObject({ api_key_set: false, api_key_hint: "" });
    expect(JSON.parse(await readFile(settingsFile(), "utf8")).api_key).toBe("");
  });

  it("forget the key when the base URL changes, unless a key comes with it", async () => {
    const post = async (body: object) => await request(lora.app).post("/api/settings").send(body).expect(200);
    const storedKey = async () =>
      (JSON.parse(await readFile(settingsFile(), "utf8")) as { api_key: string }).api_key;
    await post({ base_url: "https://api.openai.com/v1", api_key: KEY });
    // The page sends the base URL with every save: the same one keeps the key.
    const same = await post({ base_url: " https://api.openai.com/v1 ", model: "gpt-4.1-mini" });
    expect(same.body.settings).toMatchObject({ api_key_set: true, model: "gpt-4.1-mini" });
    expect(await storedKey()).toBe(KEY);

    const moved = await post({ base_url: "http://10.0.0.5:9000/v1" });
    expect(moved.body.settings).toMatchObject({
      base_url: "http://10.0.0.5:9000/v1",
      api_key_set: false,
      api_key_hint: "",
    });
    expect(moved.body.message).toMatch(/key .*removed/i);
    expect(await storedKey()).toBe("");

    const other = "AIzaSyD-other-key-for-gemini-0123456789";
    const withKey = await post({
      base_url: "https://generativelanguage.googleapis.com/v1beta/openai/",
      api_key: other,
    });
    expect(withKey.body.settings).toMatchObject({ api_key_set: true });
    expect(withKey.body.message).toBe("Settings saved.");
    expect(await storedKey()).toBe(other);
  });

  it("survive a restart", async () => {
    await request(lora.app)
      .post("/api/settings")
      .send({ model: "llava", base_url: "http://127.0.0.1:8000/v1", concurrency: 5 });
    const again = makeApp(dirs);
    const { body } = await request(again.app).get("/api/settings");
    expect(body.settings).toMatchObject({
      model: "llava",
      base_url: "http://127.0.0.1:8000/v1",
      concurrency: 5,
    });
  });

  it("refuse bad values with a message naming the field, changing nothing", async () => {
    await request(lora.app).post("/api/settings").send({ model: "kept" }).expect(200);
    const cases: [object, RegExp][] = [
      [{ base_url: "ftp://example.com" }, /base_url/],
      [{ base_url: "not a url" }, /base_url/],
      [{ base_url: "https://user:pw@example.com/v1" }, /base_url/],
      [{ model: "" }, /model/],
      [{ api_key: "has space" }, /api_key/],
      [{ concurrency: 0 }, /concurrency/],
      [{ concurrency: 1.5 }, /concurrency/],
    ];
    for (const [body, pattern] of cases) {
      const answer = await request(lora.app).post("/api/settings").send(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.success).toBe(false);
      expect(answer.body.message).toMatch(pattern);
    }
    expect(JSON.parse(await readFile(settingsFile(), "utf8")).model).toBe("kept");
  });
});
