/**
 * The Dockerfile: it passes dockerfilelint, and it exposes and labels the studio's port and every
 * tool port in the registry, so a RunPod template can be filled in from the image.
 */
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { TOOLS } from "../../server/tools/registry.js";
import { DOCKERFILE, dockerInstructions } from "./dockerfile.js";
import { REPO_ROOT } from "./sandbox.js";

const instructions = () => dockerInstructions().all;

const PORTS = [8080, ...TOOLS.map((tool) => tool.port.default)];

describe("Dockerfile", () => {
  it("passes dockerfilelint", async () => {
    const result = await execa(path.join(REPO_ROOT, "node_modules/.bin/dockerfilelint"), [DOCKERFILE], {
      reject: false,
      all: true,
    });
    expect(result.exitCode, result.all).toBe(0);
  });

  it("EXPOSEs 8080 and every tool port", () => {
    const exposed = instructions()
      .filter((line) => /^EXPOSE\s/i.test(line))
      .flatMap((line) => line.split(/\s+/).slice(1))
      .map((port) => Number(port.replace(/\/tcp$/, "")));
    for (const port of PORTS) expect(exposed, String(port)).toContain(port);
  });

  it("labels every port for RunPod: the HTTP port list and one label naming each port's tool", () => {
    const labels = instructions()
      .filter((line) => /^LABEL\s/i.test(line))
      .join(" ");
    const list = /runpod\.http_ports="([^"]*)"/.exec(labels)?.[1]?.split(",").map(Number) ?? [];
    expect(list.sort()).toEqual([...PORTS].sort());
    expect(labels).toContain('runpod.port.8080="ComfyStudio"');
    for (const tool of TOOLS) expect(labels).toContain(`runpod.port.${tool.port.default}="${tool.name}"`);
  });

  it("builds on plain Ubuntu (no CUDA or PyTorch of its own) with Node.js 24 and uv, and runs start_server.sh", () => {
    const lines = instructions();
    const froms = lines.filter((line) => /^FROM\s/i.test(line));
    expect(froms.at(-1)).toMatch(/^FROM ubuntu:\d+\.\d+$/);
    expect(froms).toContainEqual(expect.stringMatching(/^FROM node:24-[\w-]+ AS node$/));
    expect(froms).toContainEqual(expect.stringMatching(/^FROM ghcr\.io\/astral-sh\/uv:\d+\.\d+\.\d+ AS uv$/));
    expect(lines.some((line) => /^COPY --from=node \/usr\/local\/bin\/node /.test(line))).toBe(true);
    expect(lines.join("\n")).not.toMatch(/pytorch|nvidia\/cuda/i);
    expect(lines).toContain('CMD ["/app/start_server.sh"]');
  });

  it("ships a JupyterLab in /opt/jupyterlab, where start_jupyter.sh looks when the volume has none", () => {
    const run = instructions().find((line) => /^RUN .*\/opt\/jupyterlab/.test(line));
    expect(run).toMatch(/uv venv .*\/opt\/jupyterlab/);
    expect(run).toMatch(/uv pip install .*jupyterlab/);
    expect(run).toContain("/opt/jupyterlab/bin/jupyter-lab --version");
  });
});
