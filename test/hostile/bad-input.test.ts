/**
 * Bad input on every endpoint, property-based: wrong types, missing fields, huge strings, unicode, paths,
 * NUL bytes, shell syntax, prototype keys, near-miss user names, unknown tools and actions. Every answer is
 * a 4xx with a JSON message (or a legitimate 2xx), never a 5xx; afterwards nothing new exists outside the
 * users' output folders, no script ran, and the studio still answers.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import type { Response } from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ACTIONS, TOOL_IDS } from "../../server/tools/registry.js";
import { removeDirs, startTestStudio } from "../helpers/studio.js";
import {
  newPaths,
  post,
  postRaw,
  RAZVAN,
  snapshotTree,
  USERS,
  type Agent,
  type TestStudio,
} from "./helpers.js";

const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);

// ---------------------------------------------------------------------------------------------------------
// Hostile values.

const SPECIAL = [
  "",
  " ",
  "\t\n",
  ".",
  "..",
  "../",
  "../../",
  "../../../../etc/passwd",
  "..\\..\\windows",
  "/etc/passwd",
  "/",
  "/tmp/x",
  "~/x",
  "\0",
  "a\0b",
  "comfy-ui\0",
  "\0../../x",
  "$(touch /tmp/hostile-pwned)",
  "`touch hostile-pwned`",
  "; touch hostile-pwned",
  "| touch hostile-pwned",
  "&& touch hostile-pwned",
  "$HOME",
  "${PATH}",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
  "%2e%2e%2f",
  "%00",
  "job:",
  "job:../../state",
  "job:__proto__",
  "job:00000000-0000-0000-0000-000000000000",
  "admin",
  "ADMIN",
  "Comfy-UI",
  "comfy-ui ",
  " comfy-ui",
  "comfy_ui",
  "comfy-ui/../lora-tool",
  "Install",
  "install ",
  "INSTALL",
  "kill",
  "start",
  "uninstall",
  "update\n",
  "\u202eevil",
  "😀",
  "\uD800",
  "\uFFFF",
  "Zoë",
  "Ｒａｚｖａｎ",
  "null",
  "true",
  "0",
  "-1",
  "1e3",
  "NaN",
];

const VALID_WORDS = [...TOOL_IDS, ...ADMIN_ACTIONS, ...USERS, "admin", "update", "install"];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 2, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme" }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary" }) },
  { weight: 2, arbitrary: fc.constantFrom(...VALID_WORDS) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom("", "../", "/", " ", "\0", "$(", "`", "x"),
        fc.constantFrom(...VALID_WORDS),
        fc.constantFrom("", "/..", ")", "`", " ", "\0", "x"),
      )
      .map(([a, b, c]) => a + b + c),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 150, maxLength: 2_000 }) },
  { weight: 1, arbitrary: fc.constantFrom("x".repeat(201), "y".repeat(5_000), "z".repeat(200_000)) },
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom({}, [], { __proto__: null }, { toString: "x" }) },
);

/** A JSON body: an object with the endpoint's fields (each maybe missing) and extra keys, or not an object. */
function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const object = fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.dictionary(
        fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "x", ""), fc.string()),
        hostileValue,
        { maxKeys: 2 },
      ),
      fc.boolean(),
    )
    .map(([own, extra, extraFirst]) => {
      const parts = [
        ...Object.entries(extraFirst ? extra : own),
        ...Object.entries(extraFirst ? own : extra),
      ];
      return `{${parts.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`;
    });
  const protoWrapped = fc
    .record(fields, { requiredKeys: [] })
    .map((own) => `{"__proto__":${JSON.stringify(own)},"constructor":{"prototype":${JSON.stringify(own)}}}`);
  const notObject = hostileValue.map((value) => JSON.stringify(value) ?? "null");
  return fc.oneof(
    { weight: 6, arbitrary: object },
    { weight: 1, arbitrary: protoWrapped },
    { weight: 2, arbitrary: notObject },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "{", "{}}", "[1,", "\u0000", '{"a":1,"a":2}', "nul", '"\\ud800"'),
    },
  );
}

const stringField = (pool: readonly string[]) =>
  fc.oneof({ weight: 3, arbitrary: hostileValue }, { weight: 2, arbitrary: fc.constantFrom(...pool) });

// ---------------------------------------------------------------------------------------------------------
// The oracle: what a field must look like to pass validation.

type Body = Record<string, unknown> | undefined;

function parsed(raw: string): { ok: boolean; body: Body } {
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      // JSON.parse makes "__proto__" an own key, as the server's parser does.
      return { ok: true, body: value as Record<string, unknown> };
    }
    return { ok: true, body: undefined };
  } catch {
    return { ok: false, body: undefined };
  }
}

/** Percent-encodes every UTF-8 byte (a lone surrogate goes as U+FFFD, as a browser would send it). */
const pct = (text: string) =>
  [...Buffer.from(text, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

const own = (body: Body, key: string): unknown => (body && Object.hasOwn(body, key) ? body[key] : undefined);
const okText = (value: unknown, max: number): value is string =>
  typeof value === "string" && value.length <= max && !value.includes("\0");

function expectAnswer(res: Response, allowed: number[], what: string): void {
  const detail = `${what.slice(0, 300)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, detail).toBeLessThan(500);
  expect(res.headers["content-type"] ?? "", detail).toMatch(/application\/json/);
  expect(typeof res.body.success, detail).toBe("boolean");
  if (res.status >= 400) {
    expect(res.body.success, detail).toBe(false);
    expect(typeof res.body.message, detail).toBe("string");
    expect(res.body.message.length, detail).toBeGreaterThan(0);
  }
  expect(allowed, detail).toContain(res.status);
}

/** 400 for a body that is not valid JSON, a 413 when it is too big; otherwise what `then` says. */
function statuses(raw: string, then: (body: Body) => number[]): number[] {
  if (Buffer.byteLength(raw) > 1024 * 1024) return [413];
  // An empty JSON body reads as {}.
  if (raw === "") return then({});
  const { ok, body } = parsed(raw);
  if (!ok) return [400];
  if (body === undefined) return [400];
  return then(body);
}

function findUserOracle(name: string): string | undefined {
  const key = name.trim().toLocaleLowerCase();
  return USERS.find((user) => user.toLocaleLowerCase() === key);
}

// ---------------------------------------------------------------------------------------------------------

let s: TestStudio;
let admin: Agent;
let before: Set<string>;
let beforeState: Set<string>;

async function adminAgent(): Promise<Agent> {
  const agent = s.agent();
  await post(agent, "/set_artist", { artist: RAZVAN }).expect(200);
  await post(agent, "/set_admin_mode", { admin_mode: true }).expect(200);
  return agent;
}

beforeAll(async () => {
  s = await startTestStudio();
  admin = await adminAgent();
  before = snapshotTree(s.dirs.root, ["state"]);
  beforeState = snapshotTree(s.dirs.state);
});

afterAll(async () => {
  for (const supervisor of s.studio.manager.all()) await supervisor.stop("clean-up");
  await s.close();
  removeDirs(s.dirs);
});

async function stillHealthy(): Promise<void> {
  await s.agent().get("/healthz").expect(200, { success: true, ok: true });
}

async function checkPost(
  url: string,
  body: fc.Arbitrary<string>,
  expected: (body: Body) => number[],
  agent = () => admin,
  extra?: (res: Response, body: Body) => void,
) {
  await fc.assert(
    fc.asyncProperty(body, async (raw) => {
      const res = await postRaw(agent(), url, raw);
      expectAnswer(res, statuses(raw, expected), `POST ${url} ${raw.slice(0, 200)}`);
      extra?.(res, parsed(raw).body);
    }),
    { numRuns: RUNS },
  );
  await stillHealthy();
}

describe("bad input on every POST", () => {
  it("/login", async () => {
    await checkPost("/login", bodyOf({ password: stringField(["secret"]) }), (b) =>
      okText(own(b, "password"), 1000) ? [200] : [400],
    );
  });

  it("/logout", async () => {
    // Every answer is 200 for an object body; a fresh browser each time, so admin's session stays.
    // Any object or list is fine (logout reads nothing); a bare value is not JSON the studio takes.
    await fc.assert(
      fc.asyncProperty(bodyOf({ anything: hostileValue }), async (raw) => {
        const res = await postRaw(s.agent(), "/logout", raw);
        const first = raw.trimStart()[0];
        const allowed = raw === "" || ((first === "{" || first === "[") && parsed(raw).ok) ? [200] : [400];
        expectAnswer(res, allowed, `POST /logout ${raw.slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
    await stillHealthy();
  });

  it("/set_artist: a user's name up to case and surrounding space is that user; anything else is refused", async () => {
    await checkPost(
      "/set_artist",
      bodyOf({ artist: stringField(USERS) }),
      (b) => {
        const artist = own(b, "artist");
        if (!okText(artist, 200)) return [400];
        return findUserOracle(artist) ? [200] : [400];
      },
      () => s.agent(),
      (res, b) => {
        if (res.status === 200) expect(res.body.artist).toBe(findUserOracle(own(b, "artist") as string));
      },
    );
  });

  it("/set_artist: near-miss names", async () => {
    const space = fc.constantFrom("", " ", "  ", "\t", "\n", " \t ");
    const flipCase = (name: string, flips: boolean[]) =>
      [...name]
        .map((c, i) =>
          flips[i % flips.length] ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c,
        )
        .join("");
    const sameUser = fc
      .tuple(fc.constantFrom(...USERS), fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), space, space)
      .map(([name, flips, before, after]) => ({ sent: before + flipCase(name, flips) + after, user: name }));
    const otherName = fc
      .tuple(
        fc.constantFrom(...USERS),
        fc.constantFrom(
          (n: string) => n.replace(" ", "  "),
          (n: string) => n.replace(" ", ""),
          (n: string) => `${n}x`,
          (n: string) => `../${n}`,
          (n: string) => `${n}/..`,
          (n: string) => `${n}\u200b`,
          (n: string) => n.slice(0, -1),
          (n: string) => `${n}:admin`,
          (n: string) => `${n}$(id)`,
          (n: string) => n.replace(/ë|š|ć/gi, "e"),
        ),
      )
      .map(([name, change]) => change(name))
      .filter((name) => findUserOracle(name) === undefined);
    await fc.assert(
      fc.asyncProperty(sameUser, async ({ sent, user }) => {
        const res = await post(s.agent(), "/set_artist", { artist: sent });
        expectAnswer(res, [200], `set_artist ${JSON.stringify(sent)}`);
        expect(res.body.artist).toBe(user);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(otherName, async (sent) => {
        const agent = s.agent();
        const res = await post(agent, "/set_artist", { artist: sent });
        expectAnswer(res, [400], `set_artist ${JSON.stringify(sent)}`);
        expect((await agent.get("/debug").expect(200)).body.session.artist).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });

  it("/set_admin_mode", async () => {
    await checkPost(
      "/set_admin_mode",
      bodyOf({ admin_mode: fc.oneof(hostileValue, fc.boolean()), password: stringField(["secret"]) }),
      (b) => {
        const password = own(b, "password");
        if (typeof own(b, "admin_mode") !== "boolean") return [400];
        if (password !== undefined && !okText(password, 1000)) return [400];
        return [200];
      },
    );
    // Admin mode may have been switched off by a valid body: switch it on again for the next endpoints.
    admin = await adminAgent();
  });

  it("/start_session (unknown or not installed tools only: nothing may start)", async () => {
    const startable = new Set(["jupyter-lab", "lora-tool"]);
    await checkPost(
      "/start_session",
      bodyOf({
        tool_id: stringField(TOOL_IDS.filter((id) => !startable.has(id))).filter(
          (v) => !startable.has(v as string),
        ),
      }),
      (b) => {
        const id = own(b, "tool_id");
        if (!okText(id, 100)) return [400];
        return (TOOL_IDS as readonly string[]).includes(id) ? [409] : [404];
      },
    );
  });

  it("/stop_session", async () => {
    await checkPost("/stop_session", bodyOf({ tool_id: stringField(TOOL_IDS) }), (b) => {
      const id = own(b, "tool_id");
      if (!okText(id, 100)) return [400];
      return (TOOL_IDS as readonly string[]).includes(id) ? [200] : [404];
    });
  });

  it("/admin_action (never a valid tool and action together: nothing may run)", async () => {
    const body = fc
      .record(
        { tool_id: stringField(TOOL_IDS), action: stringField([...ADMIN_ACTIONS, "kill", "start"]) },
        { requiredKeys: [] },
      )
      .filter(
        (b) =>
          !(
            (TOOL_IDS as readonly unknown[]).includes(b.tool_id) &&
            (ADMIN_ACTIONS as readonly unknown[]).includes(b.action)
          ),
      );
    const raw = fc.oneof(
      body.map((b) => JSON.stringify(b)),
      bodyOf({ tool_id: hostileValue, action: hostileValue }).filter((r) => {
        const b = parsed(r).body;
        return !(
          (TOOL_IDS as readonly unknown[]).includes(own(b, "tool_id")) &&
          (ADMIN_ACTIONS as readonly unknown[]).includes(own(b, "action"))
        );
      }),
    );
    await checkPost("/admin_action", raw, (b) => {
      const id = own(b, "tool_id");
      const action = own(b, "action");
      if (!okText(id, 100) || !okText(action, 100)) return [400];
      if (!(ADMIN_ACTIONS as readonly string[]).includes(action)) return [400];
      return [404];
    });
  });

  it("/custom_nodes_action (never a valid action: nothing may run)", async () => {
    await checkPost(
      "/custom_nodes_action",
      bodyOf({ action: stringField(["Install", "update ", "kill", "start", "reinstall"]) }).filter((r) => {
        const action = own(parsed(r).body, "action");
        return action !== "install" && action !== "update";
      }),
      () => [400],
    );
  });

  it("/download_models", async () => {
    await checkPost(
      "/download_models",
      bodyOf({
        models: fc.oneof(
          hostileValue,
          fc.array(hostileString, { maxLength: 5 }),
          fc.constant(Array.from({ length: 101 }, () => "x")),
        ),
        hf_token: hostileValue,
        civit_token: hostileValue,
      }),
      // No model set exists in the test repo: every request is refused, whatever the reason.
      () => [400, 404, 409],
    );
  });

  it("/cancel_job", async () => {
    await checkPost(
      "/cancel_job",
      bodyOf({ job_id: stringField(["00000000-0000-0000-0000-000000000000"]) }),
      (b) => (okText(own(b, "job_id"), 100) ? [404] : [400]),
    );
  });

  it("/clear_logs", async () => {
    await checkPost("/clear_logs", bodyOf({ source: stringField([...TOOL_IDS, "admin", "job:x"]) }), (b) => {
      const source = own(b, "source");
      if (!okText(source, 200)) return [400];
      return (TOOL_IDS as readonly string[]).includes(source) ? [200] : [404];
    });
  });
});

describe("bad input in queries and paths", () => {
  // Node itself answers 431 to a request line over 16 KiB, before the studio sees it.
  const queryValue = fc.oneof(
    hostileString.filter((v) => v.length <= 3_000),
    fc.constantFrom(...TOOL_IDS),
    fc.constantFrom("0", "12", "999999999999999", "9999999999999999", "-1", "1.5", "1e3", " 1", "0x10", ""),
  );

  it("/logs?source&cursor", async () => {
    const query = fc.oneof(
      fc
        .record({ source: fc.option(queryValue), cursor: fc.option(queryValue) })
        .map(({ source, cursor }) => {
          const parts: string[] = [];
          if (source !== null) parts.push(`source=${pct(source)}`);
          if (cursor !== null) parts.push(`cursor=${pct(cursor)}`);
          return { qs: parts.join("&"), source, cursor, repeated: false };
        }),
      fc
        .tuple(
          fc.constantFrom(
            "source",
            "cursor",
            "source[]",
            "source[__proto__]",
            "__proto__",
            "constructor[prototype][x]",
            "source%00",
          ),
          queryValue,
          queryValue,
        )
        .map(([key, a, b]) => ({
          qs: `${key}=${pct(a)}&${key}=${pct(b)}&source=comfy-ui`,
          source: null,
          cursor: null,
          repeated: true,
        })),
      fc
        .constantFrom(
          "source=%",
          "source=%ZZ",
          "source=comfy-ui&cursor=%E0%A4%A",
          "source=%00",
          "&&&",
          "source=comfy-ui&&cursor=&",
        )
        .map((qs) => ({
          qs,
          source: null,
          cursor: null,
          repeated: true,
        })),
    );
    await fc.assert(
      fc.asyncProperty(query, async ({ qs, source, cursor, repeated }) => {
        const res = await admin.get(`/logs?${qs}`);
        let allowed = [200, 400, 404];
        if (!repeated) {
          if (source === null || source.length > 200 || source.includes("\0")) allowed = [400];
          else if (cursor !== null && !/^\d{1,15}$/.test(cursor)) allowed = [400];
          else allowed = (TOOL_IDS as readonly string[]).includes(source) ? [200] : [404];
        }
        expectAnswer(res, allowed, `GET /logs?${qs}`);
        if (res.status === 200) {
          expect(typeof res.body.content).toBe("string");
          expect(Number.isSafeInteger(res.body.cursor)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
    await stillHealthy();
  });

  it("/tool_status/:tool_id", async () => {
    const segment = fc.oneof(
      queryValue.filter((v) => v !== "").map((v) => ({ path: pct(v), id: v })),
      fc
        .constantFrom("%", "%ZZ", "%E0%A4%A", "..%2f..%2fetc", "%2e%2e", "a%00b", "%C0%AE")
        .map((p) => ({ path: p, id: null })),
    );
    await fc.assert(
      fc.asyncProperty(segment, async ({ path: p, id }) => {
        const res = await admin.get(`/tool_status/${p}`);
        const allowed =
          id === null ? [400, 404] : (TOOL_IDS as readonly string[]).includes(id) ? [200] : [404];
        expectAnswer(res, allowed, `GET /tool_status/${p}`);
      }),
      { numRuns: RUNS },
    );
    await stillHealthy();
  });
});

describe("afterwards", () => {
  it("nothing new outside the users' output folders, no script ran, no job, every tool stopped", async () => {
    const after = snapshotTree(s.dirs.root, ["state"]);
    const outputs = USERS.map((user) => `${path.join("workspace", "ComfyUI", "output", user)}/`);
    const outside = newPaths(before, after).filter((p) => !outputs.some((o) => p.startsWith(o)));
    expect(outside).toEqual([]);
    // The state folder gains sessions and log bookkeeping only.
    const stateNew = newPaths(beforeState, snapshotTree(s.dirs.state)).filter(
      (p) =>
        !/^sessions\/[^/]+\.json$/.test(p) &&
        !/^logs\/$/.test(p) &&
        !/^logs\/[a-z-]+\.log\.meta\.json$/.test(p),
    );
    expect(stateNew).toEqual([]);
    expect(existsSync(path.join(s.dirs.workspace, ".standin"))).toBe(false);
    expect(readdirSync(s.dirs.workspace).filter((name) => /pwned/.test(name))).toEqual([]);
    expect(existsSync("/tmp/hostile-pwned")).toBe(false);
    expect((await admin.get("/jobs").expect(200)).body.jobs).toEqual([]);
    const tools = (await admin.get("/tools").expect(200)).body.tools as { state: string }[];
    expect(tools.map((tool) => tool.state)).toEqual(TOOL_IDS.map(() => "stopped"));
    await stillHealthy();
  });
});
