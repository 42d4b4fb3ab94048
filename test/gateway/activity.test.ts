/**
 * Activity through the gateway: who is in a tool (`active_artists`) and when someone last did something
 * (`last_activity_at`). An open tab's background requests are presence, not activity; WebSocket messages from
 * the client are activity, pings and pongs are not.
 */
import { describe, expect, it } from "vitest";
import type { Agent } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";
import {
  enter,
  openSocket,
  rawRequest,
  ROSA,
  runTool,
  signInAs,
  toolOrigin,
  useGatewayStudios,
  wsOrigin,
  ZOE,
} from "./helpers.js";

const studio = useGatewayStudios();

async function status(agent: Agent) {
  return (await agent.get("/tool_status/comfy-ui").expect(200)).body as {
    last_activity_at: string | null;
    active_artists: string[];
  };
}

/** Lets the clock move on, so a new note of activity shows as a later time. */
async function tick(after: string | null): Promise<void> {
  const since = after ? Date.parse(after) : 0;
  await waitFor(() => Date.now() > since + 1, { intervalMs: 1, what: "the clock to move" });
}

describe("activity", () => {
  it("requests make active_artists and last_activity_at; an open tab's background requests are presence only", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    await runTool(rosa);
    const zoe = await signInAs(s, ZOE);
    const { cookie } = await enter(zoe, "comfy-ui");
    const origin = toolOrigin(s, "comfy-ui");
    let before = await status(rosa);
    expect(before.active_artists).toEqual([ROSA]);
    expect(before.last_activity_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // A tab polling (fetch from the page: Sec-Fetch-Mode cors), with and without Sec-Fetch-Site. (Raw
    // requests: Node's fetch would put its own Sec-Fetch-Mode.)
    const background: Record<string, string>[] = [
      { "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty" },
      { "Sec-Fetch-Mode": "cors" },
      { "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "image" },
    ];
    for (const headers of background) {
      await tick(before.last_activity_at);
      expect((await rawRequest(`${origin}/queue`, { headers: { cookie, ...headers } })).status).toBe(200);
      const after = await status(rosa);
      expect(after.active_artists, JSON.stringify(headers)).toEqual([ROSA, ZOE]);
      expect(after.last_activity_at, JSON.stringify(headers)).toBe(before.last_activity_at);
    }

    // A page load, a change, a script: activity.
    for (const [label, init] of [
      ["a navigation", { headers: { cookie, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none" } }],
      [
        "a POST from the page",
        {
          method: "POST",
          body: "{}",
          headers: { cookie, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin" },
        },
      ],
      ["a script", { headers: { cookie } }],
    ] as const) {
      await tick(before.last_activity_at);
      await rawRequest(`${origin}/api/settings`, init);
      const after = await status(rosa);
      expect(Date.parse(after.last_activity_at!), label).toBeGreaterThan(
        Date.parse(before.last_activity_at!),
      );
      before = after;
    }
  });

  it("a WebSocket's client messages count as activity; pings and pongs do not", async () => {
    const s = await studio();
    const rosa = await signInAs(s, ROSA);
    await runTool(rosa, "lora-tool");
    const { cookie } = await enter(rosa, "lora-tool");
    const at = () => s.studio.activity.lastAt("lora-tool")!;
    const socket = await openSocket(`${wsOrigin(s, "lora-tool")}/_standin/ws`, { headers: { cookie } });
    await waitFor(() => socket.messages[0], { what: "the tool's hello" });
    const opened = at();

    // An unasked pong, then pings answered by the tool's pongs: by the time the last pong is back, the
    // gateway has read every frame before it. Nothing counts.
    await tick(new Date(opened).toISOString());
    socket.ws.pong("unasked");
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        socket.ws.once("pong", () => resolve());
        socket.ws.ping(`ping ${i}`);
      });
    }
    expect(at()).toBe(opened);

    // A message: activity, shown in the status.
    socket.ws.send("hello tool");
    await waitFor(() => socket.messages.includes("hello tool"), { what: "the echo" });
    expect(at()).toBeGreaterThan(opened);
    const body = (await rosa.get("/tool_status/lora-tool").expect(200)).body as { last_activity_at: string };
    expect(Date.parse(body.last_activity_at)).toBe(at());
    socket.ws.close();
  });
});
