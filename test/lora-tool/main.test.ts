/**
 * The built LoRA-Tool as the studio runs it: on LISTEN_HOST:PORT from its environment, refusing bad settings
 * by name, and stopping with the kit's ladder on SIGTERM (requests in flight may finish within DRAIN_MS,
 * then what is left is cut and the process exits 0).
 */
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { DRAIN_MS } from "@comfystudio/kit/shutdown";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { freePort, isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { png } from "./helpers.js";
import { builtToolTests, REPO, START, startTool } from "./process.js";

const t = builtToolTests();

/** Whether something accepts connections on host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A raw HTTP connection: write a request in pieces, read what comes back until the server closes it. */
function connection(port: number) {
  const socket = net.connect({ host: "127.0.0.1", port });
  let received = "";
  socket.setEncoding("utf8").on("data", (text: string) => (received += text));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => undefined);
  const connected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return { socket, connected, closed, received: () => received };
}

describe("the LoRA-Tool process", () => {
  it("listens on 127.0.0.1 by default and on LISTEN_HOST when given, nowhere else", async () => {
    const port = await freePort();
    const tool = await startTool(t.dirs, { PORT: String(port) });
    expect(await accepts("127.0.0.1", port)).toBe(true);
    expect(await accepts("127.0.0.2", port)).toBe(false);
    expect(tool.output()).toMatch(/"host":"127\.0\.0\.1"/);
    process.kill(-(tool.child.pid as number), "SIGTERM");
    expect(await tool.exited).toEqual({ code: 0, signal: null });

    const other = await freePort();
    const second = await startTool(
      t.dirs,
      { PORT: String(other), LISTEN_HOST: "127.0.0.2" },
      {
        url: `http://127.0.0.2:${other}/`,
      },
    );
    expect(await accepts("127.0.0.1", other)).toBe(false);
    process.kill(-(second.child.pid as number), "SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it("refuses a bad PORT or LISTEN_HOST with a line naming the variable: the tool exits 2, its start script 1", async () => {
    for (const [env, pattern] of [
      [{ PORT: "80a" }, /PORT: "80a" is not a port/],
      [{ PORT: "70000" }, /PORT: "70000" is not a port/],
      [
        { PORT: "3000", LISTEN_HOST: "http://0.0.0.0" },
        /LISTEN_HOST: "http:\/\/0\.0\.0\.0" is not an address/,
      ],
    ] as const) {
      const base = { PATH: process.env.PATH, REPO_DIR: REPO, WORKSPACE_DIR: t.dirs.workspaceDir, ...env };
      const tool = await execa(
        process.execPath,
        [path.join(REPO, "dist", "lora-tool", "server", "main.js")],
        { env: base, reject: false },
      );
      expect(tool.exitCode, JSON.stringify(env)).toBe(2);
      expect(tool.stdout + tool.stderr).toMatch(pattern);
      const script = await execa("bash", [START], { env: base, reject: false });
      expect(script.exitCode, JSON.stringify(env)).toBe(1);
      expect(script.stderr).toMatch(new RegExp(`error: ${Object.keys(env).at(-1)!} must be`));
    }
  });

  it("on SIGTERM stops listening, lets a request in flight finish, cuts one that hangs, and exits 0", async () => {
    const port = await freePort();
    const tool = await startTool(t.dirs, { PORT: String(port) });
    const created = await fetch(`http://127.0.0.1:${port}/api/datasets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "cats" }),
    });
    expect(created.status).toBe(201);

    // An upload under way: its headers and the first half of its body are sent before the SIGTERM.
    const boundary = "----stop-ladder";
    const image = await png(64, 64);
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="late.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      image,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const upload = connection(port);
    await upload.connected;
    upload.socket.write(
      `POST /api/datasets/cats/images HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    upload.socket.write(body.subarray(0, 100));
    // A request that never ends: its body is announced and never sent.
    const hanging = connection(port);
    await hanging.connected;
    hanging.socket.write(
      `POST /api/datasets HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
    );

    process.kill(-(tool.child.pid as number), "SIGTERM");
    await waitFor(() => tool.output().includes("LoRA-Tool stopping"), { what: "the stop to begin" });
    await waitFor(async () => !(await isListening(port)), { what: "the listener to close" });

    upload.socket.write(body.subarray(100));
    await upload.closed;
    expect(upload.received()).toMatch(/^HTTP\/1\.1 201 /);
    expect(upload.received()).toContain('"added":[{"name":"late.png"');
    expect(existsSync(path.join(t.dirs.datasetsDir, "cats", "late.png"))).toBe(true);

    await hanging.closed;
    expect(hanging.received()).toBe("");
    expect(await tool.exited).toEqual({ code: 0, signal: null });
    expect(tool.output()).toContain(`"drain_ms":${DRAIN_MS}`);
    expect(tool.output()).toContain("requests still running were cut off");
    expect(tool.output()).toContain("LoRA-Tool stopped");
    expect(existsSync(path.join(t.dirs.stateDir, "lora-tool", "server.pid"))).toBe(false);
  });
});
