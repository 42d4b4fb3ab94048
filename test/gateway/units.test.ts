/**
 * The gateway's rules on their own, with their clocks: tickets (once, 60 s, one tool), tool cookies (signed,
 * expiring, one tool), the prompt rewrite, and the activity window.
 */
import { describe, expect, it } from "vitest";
import { ACTIVE_WINDOW_MS, Activity } from "../../server/gateway/activity.js";
import { changeProblem, isChange } from "../../server/gateway/changes.js";
import { routedPath } from "../../server/gateway/routed-path.js";
import { makeToolCookie, readToolCookie, TOOL_COOKIE_TTL_MS } from "../../server/gateway/cookies.js";
import { prefixFor, rewritePrompt } from "../../server/gateway/prompt.js";
import { TICKET_TTL_MS, Tickets } from "../../server/gateway/tickets.js";
import { findTool, TOOLS, type ToolDefinition } from "../../server/tools/registry.js";

describe("tickets", () => {
  it("are used once, for their tool, within 60 s of being issued", () => {
    let now = 1_000_000;
    const tickets = new Tickets(() => now);
    const a = tickets.issue("comfy-ui", "Rosa");
    expect(tickets.redeem(a, "comfy-ui")).toBe("Rosa");
    expect(tickets.redeem(a, "comfy-ui")).toBeNull();

    const late = tickets.issue("comfy-ui", "Rosa");
    const justInTime = tickets.issue("comfy-ui", "Zoë");
    now += TICKET_TTL_MS - 1;
    expect(tickets.redeem(justInTime, "comfy-ui")).toBe("Zoë");
    now += 1;
    expect(tickets.redeem(late, "comfy-ui")).toBeNull();
    expect(TICKET_TTL_MS).toBeLessThanOrEqual(60_000);

    // One tried on another tool is spent: it opens neither.
    const other = tickets.issue("comfy-ui", "Rosa");
    expect(tickets.redeem(other, "jupyter-lab")).toBeNull();
    expect(tickets.redeem(other, "comfy-ui")).toBeNull();

    expect(tickets.redeem("forged-ticket", "comfy-ui")).toBeNull();
    expect(tickets.redeem("", "comfy-ui")).toBeNull();
    const many = new Set(Array.from({ length: 1000 }, () => tickets.issue("comfy-ui", "Rosa")));
    expect(many.size).toBe(1000);
  });
});

describe("tool cookies", () => {
  const secret = "s".repeat(64);
  const pass = { toolId: "comfy-ui", artist: "Rosa", expires: 2_000_000 };

  it("read back what they were made with, until they expire, for their tool only", () => {
    const value = makeToolCookie(secret, pass);
    expect(readToolCookie(secret, value, "comfy-ui", 1_999_999)).toEqual(pass);
    expect(readToolCookie(secret, value, "comfy-ui", 2_000_000)).toBeNull();
    expect(readToolCookie(secret, value, "lora-tool", 1_000_000)).toBeNull();
    expect(readToolCookie("another secret", value, "comfy-ui", 1_000_000)).toBeNull();
    expect(TOOL_COOKIE_TTL_MS).toBeGreaterThan(0);
  });

  it("refuse anything changed or malformed", () => {
    const value = makeToolCookie(secret, pass);
    const [payload, signature] = value.split(".") as [string, string];
    const other = Buffer.from(JSON.stringify(["comfy-ui", "Zoë", 2_000_000])).toString("base64url");
    for (const bad of [
      `${other}.${signature}`,
      `${payload}.${signature.slice(0, -2)}AA`,
      `${payload}.`,
      payload,
      `${value}.extra`,
      "",
      `${Buffer.from("not json").toString("base64url")}.${signature}`,
    ])
      expect(readToolCookie(secret, bad, "comfy-ui", 1_000_000), bad).toBeNull();
  });
});

describe("the prompt rewrite", () => {
  it("puts the artist's folder in front of every filename_prefix, once", () => {
    expect(prefixFor("ComfyUI", "Rosa")).toBe("Rosa/ComfyUI");
    expect(prefixFor("Rosa/ComfyUI", "Rosa")).toBe("Rosa/ComfyUI");
    expect(prefixFor("Rosa", "Rosa")).toBe("Rosa");
    expect(prefixFor("Rosalind/x", "Rosa")).toBe("Rosa/Rosalind/x");
    expect(prefixFor("videos/%date%/clip", "Rosa")).toBe("Rosa/videos/%date%/clip");
    for (const bad of ["..", "../x", "a/../../x", "/abs", "\\abs", "C:/x", "c:\\x", "a\\..\\..\\x"])
      expect(() => prefixFor(bad, "Rosa"), bad).toThrow(/leaves the output folder/);
  });

  it("rewrites every node's string filename_prefix, keeps the rest, adds studio_artist", () => {
    const body = rewritePrompt(
      {
        prompt: {
          "1": { class_type: "SaveImage", inputs: { filename_prefix: "a", images: ["2", 0] } },
          "2": { class_type: "VHS_VideoCombine", inputs: { filename_prefix: "clips/b", frame_rate: 8 } },
          "3": { class_type: "Linked", inputs: { filename_prefix: ["4", 0] } },
          "4": { class_type: "NoInputs" },
        },
        extra_data: { extra_pnginfo: { workflow: { id: 1 } }, studio_artist: "Mallory" },
        client_id: "c",
      },
      "Rosa",
    );
    expect(body).toEqual({
      prompt: {
        "1": { class_type: "SaveImage", inputs: { filename_prefix: "Rosa/a", images: ["2", 0] } },
        "2": { class_type: "VHS_VideoCombine", inputs: { filename_prefix: "Rosa/clips/b", frame_rate: 8 } },
        "3": { class_type: "Linked", inputs: { filename_prefix: ["4", 0] } },
        "4": { class_type: "NoInputs" },
      },
      extra_data: { extra_pnginfo: { workflow: { id: 1 } }, studio_artist: "Rosa" },
      client_id: "c",
    });
    expect(rewritePrompt({ prompt: {} }, "Rosa").extra_data).toEqual({ studio_artist: "Rosa" });
    expect(() => rewritePrompt([], "Rosa")).toThrow(/JSON object/);
  });
});

describe("activity", () => {
  it("counts an artist as in a tool for 5 minutes after their last request; presence is not activity", () => {
    const activity = new Activity();
    activity.seen("comfy-ui", "Rosa", false, 1_000);
    activity.seen("comfy-ui", "Zoë", true, 2_000);
    expect(activity.lastAt("comfy-ui")).toBe(2_000);
    expect(activity.activeArtists("comfy-ui", 1_000 + ACTIVE_WINDOW_MS)).toEqual(["Rosa", "Zoë"]);
    expect(activity.activeArtists("comfy-ui", 1_001 + ACTIVE_WINDOW_MS)).toEqual(["Zoë"]);
    expect(activity.activeArtists("comfy-ui", 2_001 + ACTIVE_WINDOW_MS)).toEqual([]);
    expect(activity.activeArtists("lora-tool")).toEqual([]);
    expect(activity.lastActivityAt("comfy-ui")).toBe(new Date(2_000).toISOString());
    expect(ACTIVE_WINDOW_MS).toBe(5 * 60_000);
  });
});

describe("changes to a tool itself", () => {
  const tool = (id: string) => findTool(id)!;
  const comfy = tool("comfy-ui");
  const swarm = tool("swarm-ui");
  /** Expects each "METHOD path" to be a change of `of` (or not). */
  const expectChanges = (of: ToolDefinition, requests: string[], expected: boolean) => {
    for (const request of requests) {
      const [method, url] = request.split(" ");
      expect(isChange(of, method!, url!), request).toBe(expected);
    }
  };

  it("are matched on the path as the tool routes it: decoded, slashes merged, prefixes taken off", () => {
    expect(routedPath("/api/v2/manager/reboot?x=1#y", ["/api", "/v2"])).toBe("/manager/reboot");
    expect(routedPath("//api//v2%2Fmanager/reboot", ["/api", "/v2"])).toBe("/manager/reboot");
    expect(routedPath("/apiv2/manager", ["/api"])).toBe("/apiv2/manager");
    expect(routedPath("/api/x/../v2/./manager/reboot", ["/api", "/v2"])).toBe("/manager/reboot");
    expect(routedPath("/api/x/%2E%2E/manager/reboot", ["/api", "/v2"])).toBe("/manager/reboot");
    expect(routedPath("/API/ShutdownServer", [], true)).toBe("/api/shutdownserver");
    expect(routedPath("/bad%E0%A4%A", [])).toBe("/bad%E0%A4%A");
    expectChanges(
      comfy,
      [
        "POST /api/v2/manager/queue/task",
        "POST /manager/queue/install",
        "DELETE /v2/snapshot/remove",
        "POST /api/customnode/install/git_url",
        "POST /api/%762/manager/reboot",
        "POST /api/view/../manager/reboot",
      ],
      true,
    );
    expectChanges(
      comfy,
      [
        "GET /api/v2/manager/queue/status",
        "GET /api/manager/reboot",
        "POST /api/manager/component/loads",
        "POST /api/v2/customnode/import_fail_info_bulk",
        "POST /api/prompt",
        "POST /API/v2/manager/reboot",
      ],
      false,
    );
  });

  it("SwarmUI's: its server calls in any case, over HTTP or a WebSocket, and Manager in its ComfyUI", () => {
    expectChanges(
      swarm,
      [
        "POST /API/ShutdownServer",
        "POST /api/updateandrestart",
        "POST /API/InstallExtension",
        "POST /API/AdminAddUser",
        "GET /API/InstallConfirmWS",
        "POST /API/ChangeServerSettings",
        "POST /API/RestartBackends",
        "POST /ComfyBackendDirect/api/manager/reboot",
        "POST /comfybackenddirect/api/v2/manager/queue/task",
      ],
      true,
    );
    expectChanges(
      swarm,
      [
        "POST /API/GenerateText2Image",
        "GET /API/GenerateText2ImageWS",
        "POST /API/ListServerSettings",
        "POST /API/GetNewSession",
        "GET /ComfyBackendDirect/api/manager/queue/status",
        "POST /ComfyBackendDirect/api/prompt",
      ],
      false,
    );
  });

  it("AI-Toolkit's: a change of its shared settings, not a read of them", () => {
    const aitk = tool("ai-toolkit");
    expect(isChange(aitk, "POST", "/api/settings")).toBe(true);
    expect(isChange(aitk, "POST", "//api/./settings?x")).toBe(true);
    expect(isChange(aitk, "GET", "/api/settings")).toBe(false);
    expect(isChange(aitk, "POST", "/api/jobs")).toBe(false);
  });

  it("are refused to artists and nobody, not to admins, and to none with TOOL_CHANGES_BY=everyone", () => {
    const artist = { artist: "Rosa", isAdmin: false, adminMode: false };
    const admin = { artist: "Razvan", isAdmin: true, adminMode: false };
    const nobody = { artist: null, isAdmin: false, adminMode: false };
    const reboot = ["POST", "/api/manager/reboot"] as const;
    expect(changeProblem(comfy, ...reboot, artist, "admins")).toBe(
      "ComfyUI-Manager's installs, updates, snapshots, settings and restart are for admins on this studio (TOOL_CHANGES_BY); ask an admin.",
    );
    expect(changeProblem(comfy, ...reboot, nobody, "admins")).not.toBeNull();
    expect(changeProblem(comfy, ...reboot, admin, "admins")).toBeNull();
    expect(changeProblem(comfy, ...reboot, artist, "everyone")).toBeNull();
    // Tools without rules have no changes to refuse.
    for (const each of TOOLS as readonly ToolDefinition[])
      if (!each.changes) expect(isChange(each, "POST", "/api/manager/reboot")).toBe(false);
  });
});
