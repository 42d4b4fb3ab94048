/**
 * An off-the-shelf ComfyUI client from npm (@stable-canvas/comfyui-client) given only the `/k/{key}` base
 * URL, as plugins are: it queues a prompt, follows it over the WebSocket, reads the history and fetches the
 * image through /view, all as the key's artist.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client, Plugin } from "@stable-canvas/comfyui-client";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { holdComfyQueue, standinRequests } from "../helpers/standin.js";
import { waitFor } from "../helpers/wait.js";
import { comfyUserId, RAZVAN, ROSA, runTool, signInAs, useGatewayStudios } from "./helpers.js";

const studio = useGatewayStudios();
const PASSWORD = "studio-pw-client";

/**
 * The client builds its WebSocket URL from the host alone (`/ws`, without `api_base`); this puts the base
 * in front, through the client's own plugin hooks (as its LoginAuthPlugin adds a token).
 */
class BasePathPlugin extends Plugin {
  constructor(base: string) {
    super();
    this.addHook({
      type: "function",
      name: "wsURL",
      fn: (original) => {
        const url = new URL(original());
        url.pathname = `${base}${url.pathname}`;
        return url.toString();
      },
    });
  }
}

describe("an npm ComfyUI client at the /k/{key} base URL", () => {
  it("queues a prompt, follows it over the WebSocket, reads the history and fetches the image", async () => {
    const s = await studio({ env: { STUDIO_PASSWORD: PASSWORD } });
    await runTool(await signInAs(s, RAZVAN, PASSWORD));
    const rosa = await signInAs(s, ROSA, PASSWORD);
    const key = (await rosa.get("/api_key").expect(200)).body.key as string;
    const port = s.config.toolPorts["comfy-ui"];

    const client = new Client({
      api_host: `127.0.0.1:${port}`,
      api_base: `/k/${key}`,
      clientId: "npm-client",
      // The client sends this as Comfy-User; the gateway puts the key's artist instead.
      user: "default",
      WebSocket,
    });
    client.use(new BasePathPlugin(`/k/${key}`));
    onTestFinished(() => client.close());

    const stats = await client.getSystemStats();
    expect(stats.system.comfyui_version).toBe("stand-in");
    const connected = new Promise<void>((resolve) => client.events.once("connected", () => resolve()));
    void client.connect();
    await connected;

    // The stand-in runs a prompt at once; it waits until the client listens for the prompt's events.
    holdComfyQueue(s.dirs, true);
    const result = client.enqueue({
      "5": { class_type: "EmptyImage", inputs: { width: 8, height: 8 } },
      "9": { class_type: "SaveImage", inputs: { images: ["5", 0], filename_prefix: "from-npm" } },
    });
    await waitFor(() => client.events.listenerCount("executed") > 0, {
      what: "the client to follow its prompt",
    });
    holdComfyQueue(s.dirs, false);
    const output = await result;

    expect(output.images).toHaveLength(1);
    const image = output.images[0]!;
    expect(image.type).toBe("url");
    const url = new URL(image.data as string);
    expect(url.pathname).toBe(`/k/${key}/view`);
    expect(url.searchParams.get("subfolder")).toBe(ROSA);
    const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
    const file = path.join(s.dirs.workspace, "ComfyUI", "output", ROSA, url.searchParams.get("filename")!);
    expect(bytes.equals(readFileSync(file))).toBe(true);
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");

    const history = await client.getHistory();
    expect(history.History).toHaveLength(1);
    const outputs = await client.getPromptOutputs(output.prompt_id);
    expect(outputs["9"]).toMatchObject({ images: [{ subfolder: ROSA, type: "output" }] });
    expect((await client.getQueue()).Running).toEqual([]);

    // Every request through the gateway reached ComfyUI as Rosa, without the key or the client's own user.
    const seen = standinRequests(s.dirs, "comfy-ui").filter(
      (r) => r.headers["x-forwarded-for"] !== undefined,
    );
    expect(seen.some((r) => r.ws && r.url.startsWith("/ws?clientId=npm-client"))).toBe(true);
    expect(seen.some((r) => r.url.startsWith("/prompt?clientId=npm-client"))).toBe(true);
    for (const request of seen) {
      expect(request.headers["comfy-user"], request.url).toBe(comfyUserId(s.dirs, ROSA));
      expect(request.url).not.toContain(key);
    }
  });
});
