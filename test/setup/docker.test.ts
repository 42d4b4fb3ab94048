/**
 * The Dockerfile: it passes dockerfilelint, and it exposes and labels the studio's port and every
 * tool port in the registry, so a RunPod template can be filled in from the image.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { TOOLS } from "../../server/tools/registry.js";
import { REPO_ROOT } from "./sandbox.js";

const DOCKERFILE = path.join(REPO_ROOT, "Dockerfile");

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(): string[] {
  const lines = readFileSync(DOCKERFILE, "utf8")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line));
  return lines
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

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

  it("builds on a pinned RunPod PyTorch image and runs start_server.sh", () => {
    const lines = instructions();
    const from = lines.filter((line) => /^FROM\s/i.test(line)).at(-1);
    expect(from).toMatch(
      /^FROM runpod\/pytorch:\d+\.\d+\.\d+-py3\.\d+-cuda\d+\.\d+\.\d+-[\w-]*devel-ubuntu\d+\.\d+$/,
    );
    expect(lines.some((line) => /^COPY --from=node \/usr\/local\/bin\/node /.test(line))).toBe(true);
    expect(lines.some((line) => /npm ci/.test(line))).toBe(true);
    expect(lines.some((line) => /npm run build/.test(line) && /npm prune --omit=dev/.test(line))).toBe(true);
    expect(lines).toContain('CMD ["/app/start_server.sh"]');
  });
});
