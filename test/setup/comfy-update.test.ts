/**
 * The ComfyUI update and start scripts (setup/comfy) against stand-in commands, and update with real git.
 */
import { existsSync, lstatSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { expectExeced, lastLine, withPrefix, type Sandbox, eachSandbox, runOk } from "./sandbox.js";

const INSTALL = "setup/comfy/install_comfy.sh";
const START = "setup/comfy/start_comfy.sh";
const UPDATE = "setup/comfy/update_comfy.sh";

let box: Sandbox;
const boxes = eachSandbox((made) => (box = made));

const install = (extra: Record<string, string> = {}) => runOk(box, INSTALL, extra);

describe("update_comfy.sh", () => {
  it("pulls fast-forward only, installs requirements and the Manager's pinned version, and links the models again", async () => {
    await install();
    // A git update that added a model folder replaced the link with a real folder.
    await rm(box.ws("ComfyUI/models"));
    await box.write("ComfyUI/models/brand_new_models/put_here", "");
    await box.write("ComfyUI/models/checkpoints/downloaded.safetensors", "weights");
    await box.clearCalls();

    const result = await box.run(UPDATE);
    expect(result.exitCode, result.output).toBe(0);
    const pulls = withPrefix(await box.calls("git"), "-C").filter((call) => call.args[2] === "pull");
    expect(pulls.map((call) => call.args)).toEqual([["-C", box.ws("ComfyUI"), "pull", "--ff-only"]]);
    const installs = withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.at(-1));
    expect(installs).toContain(box.ws("ComfyUI/requirements.txt"));
    expect(installs).toContain(box.ws("ComfyUI/manager_requirements.txt"));
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
    expect(await box.read("models/checkpoints/downloaded.safetensors")).toBe("weights");
  });

  it("with real git: an upstream change that adds a model folder updates cleanly and keeps the models shared", async () => {
    await boxes.replace({ omit: ["git"] });
    const gitEnv = {
      PATH: "/usr/bin:/bin",
      HOME: box.root,
      GIT_AUTHOR_NAME: "Upstream",
      GIT_AUTHOR_EMAIL: "upstream@example.com",
      GIT_COMMITTER_NAME: "Upstream",
      GIT_COMMITTER_EMAIL: "upstream@example.com",
      GIT_CONFIG_NOSYSTEM: "1",
    };
    const git = (cwd: string, ...args: string[]) =>
      execa("git", ["-c", "init.defaultBranch=master", ...args], { cwd, env: gitEnv, extendEnv: false });
    const upstream = path.join(box.root, "upstream-comfy");
    const files = {
      "main.py": "v1\n",
      "requirements.txt": "torch\n",
      "manager_requirements.txt": "comfyui_manager==4.0.5\n",
      "models/checkpoints/put_checkpoints_here": "",
      // What ComfyUI's own .gitignore leaves out.
      ".gitignore":
        "/output/\n/input/\n/user/\n/models/*\n/custom_nodes/*\n**/put*here\n/extra_model_paths.yaml\nvenv/\n",
    };
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(upstream, name)), { recursive: true });
      await writeFile(path.join(upstream, name), content);
    }
    await git(upstream, "init", "-q");
    await git(upstream, "add", "-A");
    await git(upstream, "add", "-f", "models/checkpoints/put_checkpoints_here");
    await git(upstream, "commit", "-q", "-m", "first");
    const env = { COMFY_REPO_URL: upstream, GIT_CONFIG_NOSYSTEM: "1" };
    await install(env);
    await box.write("ComfyUI/models/checkpoints/mine.safetensors", "weights");
    expect((await git(box.ws("ComfyUI"), "status", "--porcelain")).stdout).toBe("");

    await writeFile(path.join(upstream, "main.py"), "v2\n");
    await mkdir(path.join(upstream, "models/audio_things"), { recursive: true });
    await writeFile(path.join(upstream, "models/audio_things/put_audio_things_here"), "");
    await git(upstream, "add", "-A");
    await git(upstream, "add", "-f", "models/audio_things/put_audio_things_here");
    await git(upstream, "commit", "-q", "-m", "second");

    const result = await box.run(UPDATE, env);
    expect(result.exitCode, result.output).toBe(0);
    expect(await box.read("ComfyUI/main.py")).toBe("v2\n");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
    expect(box.exists("models/audio_things/put_audio_things_here")).toBe(true);
    expect(await box.read("models/checkpoints/mine.safetensors")).toBe("weights");
    expect((await git(box.ws("ComfyUI"), "status", "--porcelain")).stdout).toBe("");
  });

  it("fails with the reason when the pull cannot fast-forward, and keeps the models linked", async () => {
    await install();
    const result = await box.run(UPDATE, { FAKE_FAIL: `git pull:${box.ws("ComfyUI")}` });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("ComfyUI was not updated");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
  });

  it("refuses when ComfyUI is not installed", async () => {
    const result = await box.run(UPDATE);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/not installed/);
  });
});

describe("start_comfy.sh", () => {
  const artist = `Zoë "Z" O'Brien $(touch pwned) ; rm -rf x \`id\``;

  it("execs ComfyUI on 127.0.0.1 with one user per artist, the output root and the Manager, whatever the artist's name", async () => {
    await install();
    await box.clearCalls();
    const output = box.ws("ComfyUI/output");
    const result = await box.run(START, {
      PORT: "8199",
      STUDIO_USER: artist,
      OUTPUT_DIR: output,
      FAKE_RECORD_ENV: "PATH,VIRTUAL_ENV",
    });
    expect(result.exitCode, result.output).toBe(0);

    const runs = (await box.calls()).filter((call) => call.args[0] === "main.py");
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expectExeced(run, { command: box.ws("ComfyUI/venv/bin/python"), cwd: box.ws("ComfyUI") });
    expect(run.args).toEqual([
      "main.py",
      "--listen",
      "127.0.0.1",
      "--port",
      "8199",
      "--multi-user",
      "--output-directory",
      output,
      "--enable-manager",
      "--disable-auto-launch",
      "--preview-method",
      "auto",
    ]);
    // Custom nodes that run pip get ComfyUI's own.
    expect(run.env.PATH?.split(":")[0]).toBe(box.ws("ComfyUI/venv/bin"));
    expect(run.env.VIRTUAL_ENV).toBe(box.ws("ComfyUI/venv"));
    expect(existsSync(path.join(box.workspace, "pwned"))).toBe(false);
    expect(existsSync(box.ws("ComfyUI/pwned"))).toBe(false);
    // The pid file names the process that became ComfyUI.
    expect(await box.read(".comfystudio/run/comfy-ui.8199.pid")).toMatch(/^\d+ \d+ [\w-]+\n$/);
  });

  it("starts a ComfyUI older than the Manager package without --enable-manager, saying so", async () => {
    await install();
    await rm(box.ws("ComfyUI/manager_requirements.txt"));
    await box.clearCalls();
    const result = await box.run(START, { PORT: "8199" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.args[0] === "main.py");
    expect(run?.args).not.toContain("--enable-manager");
    expect(result.output).toContain("this ComfyUI is older than --enable-manager");
  });

  it("listens where LISTEN_HOST says, and refuses a LISTEN_HOST that is not an address", async () => {
    await install();
    await box.clearCalls();
    let result = await box.run(START, { PORT: "8199", LISTEN_HOST: "0.0.0.0" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.args[0] === "main.py");
    expect(run?.args.slice(1, 3)).toEqual(["--listen", "0.0.0.0"]);

    result = await box.run(START, { PORT: "8199", LISTEN_HOST: "0.0.0.0 --cpu" });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toBe(
      "[comfy] error: LISTEN_HOST must be an IP address or a host name (got '0.0.0.0 --cpu')",
    );
  });

  it("adds --use-sage-attention only when sageattention imports", async () => {
    await install();
    const env = { PORT: "8199", STUDIO_USER: "Ana Horvat" };
    await box.clearCalls();
    expect((await box.run(START, { ...env, FAKE_PY_MODULES: "sageattention" })).exitCode).toBe(0);
    let run = (await box.calls()).find((call) => call.args[0] === "main.py");
    expect(run?.args.at(-1)).toBe("--use-sage-attention");

    await box.clearCalls();
    expect((await box.run(START, { ...env, FAKE_PY_MODULES: "" })).exitCode).toBe(0);
    run = (await box.calls()).find((call) => call.args[0] === "main.py");
    expect(run?.args).not.toContain("--use-sage-attention");
  });

  it("refuses a bad port and a missing ComfyUI with a clear message", async () => {
    let result = await box.run(START, { PORT: "8188; rm -rf /" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("PORT must be a port number");
    result = await box.run(START, { PORT: "8188" });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("ComfyUI is not installed");
  });
});
