/**
 * The custom node list and scripts (setup/custom-nodes) run against stand-in commands.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import {
  REPO_ROOT,
  fakeComfyInstall,
  preflightHosts,
  withPrefix,
  type Sandbox,
  eachSandbox,
  runOk,
} from "./sandbox.js";

const INSTALL = "setup/custom-nodes/install_custom_nodes.sh";
const UPDATE = "setup/custom-nodes/update_custom_nodes.sh";
const NODES_FILE = path.join(REPO_ROOT, "setup/custom-nodes/nodes.txt");

/** The URLs in nodes.txt, as the scripts read them. */
function listedUrls(): string[] {
  return readFileSync(NODES_FILE, "utf8")
    .split("\n")
    .map((line) => line.replace(/\s#.*$/, "").trim())
    .filter((line) => line && !line.startsWith("#"));
}
const nameOf = (url: string): string =>
  url
    .replace(/\/$/, "")
    .split("/")
    .at(-1)!
    .replace(/\.git$/, "");

let box: Sandbox;
const boxes = eachSandbox((made) => (box = made));
beforeEach(async () => {
  await fakeComfyInstall(box);
});

describe("nodes.txt", () => {
  it("lists popular nodes as GitHub URLs, each once", () => {
    const urls = listedUrls();
    for (const url of urls) expect(url).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    const names = urls.map(nameOf);
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "rgthree-comfy",
        "ComfyUI-VideoHelperSuite",
        "ComfyUI-KJNodes",
        "ComfyUI_essentials",
        "ComfyUI-GGUF",
        "comfyui_controlnet_aux",
        "ComfyUI-Impact-Pack",
        "ComfyUI-Impact-Subpack",
        "was-node-suite-comfyui",
        "ComfyUI-Custom-Scripts",
      ]),
    );
    // The ComfyUI install brings the Manager.
    expect(names).not.toContain("ComfyUI-Manager");
    // The WAS suite from its maintained fork; the retired original is not listed.
    expect(urls).toContain("https://github.com/ltdrdata/was-node-suite-comfyui");
    expect(urls.some((url) => url.includes("WASasquatch"))).toBe(false);
  });
});

describe("install_custom_nodes.sh", () => {
  it("clones every listed node, installs its requirements and runs install.py", async () => {
    const result = await box.run(INSTALL);
    expect(result.exitCode, result.output).toBe(0);
    const urls = listedUrls();
    for (const url of urls) {
      expect(box.exists(`ComfyUI/custom_nodes/${nameOf(url)}/.git`), nameOf(url)).toBe(true);
    }
    expect(await box.clones()).toEqual(urls);
    const requirements = withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.at(-1));
    for (const url of urls) {
      expect(requirements).toContain(box.ws(`ComfyUI/custom_nodes/${nameOf(url)}/requirements.txt`));
    }
    const installPy = (await box.calls("python")).filter((call) => call.args[0] === "install.py");
    expect(installPy.map((call) => call.cwd)).toEqual([
      box.ws("ComfyUI/custom_nodes/ComfyUI-Impact-Pack"),
      box.ws("ComfyUI/custom_nodes/ComfyUI-Impact-Subpack"),
    ]);
    expect(installPy[0]?.command).toBe(box.ws("ComfyUI/venv/bin/python"));
    expect(result.output).toContain(`custom nodes: ${urls.length} installed, 0 failed`);
    expect((await preflightHosts(box)).sort()).toEqual(["files.pythonhosted.org", "github.com", "pypi.org"]);
  });

  it("moves an installed node to the repository the list names now, keeping the clone", async () => {
    await box.write(
      "ComfyUI/custom_nodes/was-node-suite-comfyui/.git/fake-origin",
      "https://github.com/WASasquatch/was-node-suite-comfyui\n",
    );
    await box.write("ComfyUI/custom_nodes/was-node-suite-comfyui/my-settings.json", "{}");
    const result = await box.run(INSTALL);
    expect(result.exitCode, result.output).toBe(0);
    expect(await box.read("ComfyUI/custom_nodes/was-node-suite-comfyui/.git/fake-origin")).toBe(
      "https://github.com/ltdrdata/was-node-suite-comfyui\n",
    );
    expect(await box.read("ComfyUI/custom_nodes/was-node-suite-comfyui/my-settings.json")).toBe("{}");
    expect(await box.clones()).not.toContain("https://github.com/ltdrdata/was-node-suite-comfyui");
  });

  it("leaves the origin of a node cloned from the listed repository another way (ssh) alone", async () => {
    const origin = "git@github.com:rgthree/rgthree-comfy.git\n";
    await box.write("ComfyUI/custom_nodes/rgthree-comfy/.git/fake-origin", origin);
    await runOk(box, INSTALL);
    expect(await box.read("ComfyUI/custom_nodes/rgthree-comfy/.git/fake-origin")).toBe(origin);
  });

  it("runs a node's install.py with ComfyUI's environment first on PATH", async () => {
    const result = await box.run(INSTALL, { FAKE_RECORD_ENV: "PATH,VIRTUAL_ENV" });
    expect(result.exitCode, result.output).toBe(0);
    const installPy = (await box.calls("python")).find((call) => call.args[0] === "install.py");
    expect(installPy?.env.PATH?.split(":")[0]).toBe(box.ws("ComfyUI/venv/bin"));
    expect(installPy?.env.VIRTUAL_ENV).toBe(box.ws("ComfyUI/venv"));
  });

  it("goes on past a node that fails to clone and names it in the summary", async () => {
    const result = await box.run(INSTALL, { FAKE_FAIL: "git clone:ComfyUI-GGUF" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("failed: ComfyUI-GGUF (clone failed)");
    expect(result.output).toMatch(/custom nodes: \d+ installed, 1 failed/);
    for (const url of listedUrls()) {
      const name = nameOf(url);
      expect(box.exists(`ComfyUI/custom_nodes/${name}`), name).toBe(name !== "ComfyUI-GGUF");
    }
    // Nodes after the broken one were installed too.
    expect(box.exists("ComfyUI/custom_nodes/ComfyUI_UltimateSDUpscale/.git")).toBe(true);
    expect(readdirSync(box.ws("ComfyUI/custom_nodes")).filter((name) => name.includes("partial"))).toEqual(
      [],
    );
  });

  it("reports a node whose requirements fail, and the others still install", async () => {
    const result = await box.run(INSTALL, { FAKE_FAIL: "pip:rgthree-comfy" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("failed: rgthree-comfy (requirements or install.py failed)");
    expect(box.exists("ComfyUI/custom_nodes/ComfyUI-KJNodes")).toBe(true);
  });

  it("is harmless to run twice: installed nodes are not cloned again", async () => {
    expect((await box.run(INSTALL)).exitCode).toBe(0);
    await box.write("ComfyUI/custom_nodes/rgthree-comfy/user-config.json", "{}");
    await box.clearCalls();
    const result = await box.run(INSTALL);
    expect(result.exitCode, result.output).toBe(0);
    expect(await box.clones()).toEqual([]);
    expect(await box.read("ComfyUI/custom_nodes/rgthree-comfy/user-config.json")).toBe("{}");
  });

  it("skips comments and blank lines, and reports a line that is not a git URL", async () => {
    const list = await box.write(
      "nodes.txt",
      [
        "# a comment",
        "",
        "   https://github.com/example/first-node.git   # with a note",
        "not a url; rm -rf /",
        "https://github.com/example/second-node/",
        "",
      ].join("\n"),
    );
    const result = await box.run(INSTALL, { NODES_FILE: list });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("line 4 (not a git URL)");
    expect(box.exists("ComfyUI/custom_nodes/first-node/.git")).toBe(true);
    expect(box.exists("ComfyUI/custom_nodes/second-node/.git")).toBe(true);
    expect(await box.clones()).toEqual([
      "https://github.com/example/first-node.git",
      "https://github.com/example/second-node/",
    ]);
  });

  it("needs ComfyUI", async () => {
    await boxes.replace(); // without the ComfyUI install
    const result = await box.run(INSTALL);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("install ComfyUI first");
  });
});

describe("update_custom_nodes.sh", () => {
  it("pulls every node, goes on past one that fails, and names it in the summary", async () => {
    expect((await box.run(INSTALL)).exitCode).toBe(0);
    await box.clearCalls();
    const result = await box.run(UPDATE, { FAKE_FAIL: "git pull:rgthree-comfy" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("failed: rgthree-comfy (git pull failed)");

    const pulled = withPrefix(await box.calls("git"), "-C")
      .filter((call) => call.args[2] === "pull")
      .map((call) => path.basename(call.args[1]!));
    const names = listedUrls().map(nameOf);
    expect(pulled.sort()).toEqual([...names].sort());
    const requirements = withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.at(-1));
    expect(requirements).toContain(box.ws("ComfyUI/custom_nodes/ComfyUI-KJNodes/requirements.txt"));
    expect(requirements).not.toContain(box.ws("ComfyUI/custom_nodes/rgthree-comfy/requirements.txt"));
    expect(result.output).toMatch(new RegExp(`custom nodes: ${names.length - 1} updated, 1 failed`));
  });

  it("succeeds when every node updates", async () => {
    expect((await box.run(INSTALL)).exitCode).toBe(0);
    const result = await box.run(UPDATE);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/updated, 0 failed/);
  });
});
