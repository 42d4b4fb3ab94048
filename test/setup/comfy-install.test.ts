/**
 * The ComfyUI install and reinstall scripts (setup/comfy) against stand-in commands in a temporary workspace.
 */
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { lastLine, preflightHosts, withPrefix, type Sandbox, eachSandbox, runOk } from "./sandbox.js";

const INSTALL = "setup/comfy/install_comfy.sh";
const REINSTALL = "setup/comfy/reinstall_comfy.sh";

let box: Sandbox;
const boxes = eachSandbox((made) => (box = made));

const install = (extra: Record<string, string> = {}) => runOk(box, INSTALL, extra);

describe("install_comfy.sh", () => {
  it("clones ComfyUI, makes a venv with uv, installs a CUDA torch, requirements and ComfyUI-Manager", async () => {
    await install();
    expect(box.exists("ComfyUI/main.py")).toBe(true);
    expect(box.exists("ComfyUI/.git")).toBe(true);
    expect(box.exists("ComfyUI/venv/bin/python")).toBe(true);

    // The Manager is the comfyui_manager package ComfyUI pins, not a clone.
    expect(await box.clones()).toEqual(["https://github.com/comfyanonymous/ComfyUI.git"]);
    expect(box.exists("ComfyUI/custom_nodes/ComfyUI-Manager")).toBe(false);
    const uv = await box.calls("uv");
    expect(withPrefix(uv, "venv")[0]?.args.at(-1)).toBe(box.ws("ComfyUI/venv"));
    const python = box.ws("ComfyUI/venv/bin/python");
    const installs = withPrefix(uv, "pip", "install").map((call) => call.args.slice(2));
    expect(installs).toContainEqual([
      "--python",
      python,
      "torch",
      "torchvision",
      "torchaudio",
      "--index-url",
      "https://download.pytorch.org/whl/cu128",
    ]);
    expect(installs).toContainEqual(["--python", python, "-r", box.ws("ComfyUI/requirements.txt")]);
    expect(installs).toContainEqual(["--python", python, "-r", box.ws("ComfyUI/manager_requirements.txt")]);
    // The hosts it needs were checked first.
    expect((await preflightHosts(box)).sort()).toEqual(
      ["github.com", "download.pytorch.org", "pypi.org", "files.pythonhosted.org"].sort(),
    );
  });

  it("says which hosts it cannot reach, within seconds and before it changes anything", async () => {
    const started = Date.now();
    const result = await box.run(INSTALL, { FAKE_FAIL: "curl:github.com;curl:pypi.org" });
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(lastLine(result.output)).toBe(
      "[comfy-install] error: cannot reach github.com (Could not resolve host: github.com), pypi.org (Could not resolve host: pypi.org): this step needs them. Check the pod's network (and HTTPS_PROXY, if it needs one), then run it again.",
    );
    expect(await box.clones()).toEqual([]);
    expect(readdirSync(box.workspace)).toEqual([]);
  });

  it("ends with an error line naming the step that failed, after trying it twice", async () => {
    const result = await box.run(INSTALL, { FAKE_FAIL: "pip:ComfyUI/requirements.txt" });
    expect(result.exitCode).not.toBe(0);
    expect(lastLine(result.output)).toMatch(
      /^\[comfy-install\] error: this step failed with exit code 1 \(the lines above say why\): uv pip install --python .*ComfyUI\/requirements\.txt$/,
    );
    const attempts = withPrefix(await box.calls("uv"), "pip", "install").filter((call) =>
      call.args.includes(box.ws("ComfyUI/requirements.txt")),
    );
    expect(attempts).toHaveLength(2);
  });

  it("keeps models in the shared folder: ComfyUI/models links to it and extra_model_paths.yaml names it", async () => {
    // The studio makes output folders, and the model downloader may write, before ComfyUI is installed.
    await box.write("ComfyUI/output/Rosa Macak Cizmesija/keep.png", "png");
    await box.write("ComfyUI/models/checkpoints/early.safetensors", "weights");
    await install();

    const link = box.ws("ComfyUI/models");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("../models");
    expect(await box.read("models/checkpoints/early.safetensors")).toBe("weights");
    expect(await box.read("ComfyUI/output/Rosa Macak Cizmesija/keep.png")).toBe("png");
    for (const folder of [
      "checkpoints",
      "diffusion_models",
      "unet",
      "vae",
      "text_encoders",
      "clip",
      "clip_vision",
    ]) {
      expect(box.exists(`models/${folder}`), folder).toBe(true);
    }
    for (const folder of ["loras", "controlnet", "upscale_models", "embeddings", "brand_new_models"]) {
      expect(box.exists(`models/${folder}`), folder).toBe(true);
    }
    // Downloads into ComfyUI/models/... land in the shared folder.
    await box.write("ComfyUI/models/loras/new.safetensors", "lora");
    expect(await box.read("models/loras/new.safetensors")).toBe("lora");

    const yaml = await box.read("ComfyUI/extra_model_paths.yaml");
    expect(yaml).toContain(`base_path: '${box.ws("models")}/'`);
    expect(yaml).toMatch(/^ {4}checkpoints: checkpoints\/$/m);
    expect(yaml).toMatch(/diffusion_models: \|\n {8}diffusion_models\/\n {8}unet\//);
    expect(yaml).toMatch(/text_encoders: \|\n {8}text_encoders\/\n {8}clip\//);
    expect(readdirSync(box.workspace).filter((name) => name.includes("partial"))).toEqual([]);
  });

  it("is harmless to run twice: nothing is cloned again and user files stay", async () => {
    await install();
    await box.write("ComfyUI/user/default/workflows/flow.json", "{}");
    await box.write("models/checkpoints/model.safetensors", "weights");
    await box.clearCalls();
    await install();
    expect(await box.clones()).toEqual([]);
    expect(withPrefix(await box.calls("uv"), "venv")).toEqual([]);
    expect(await box.read("ComfyUI/user/default/workflows/flow.json")).toBe("{}");
    expect(await box.read("models/checkpoints/model.safetensors")).toBe("weights");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
  });

  it("uses python3 -m venv and pip when uv is not installed", async () => {
    await boxes.replace({ omit: ["uv"] });
    await install();
    const python = await box.calls("python3");
    expect(withPrefix(python, "-m", "venv")[0]?.args.at(-1)).toBe(box.ws("ComfyUI/venv"));
    const venvPython = (await box.calls("python")).filter(
      (call) => call.command === box.ws("ComfyUI/venv/bin/python"),
    );
    const pipArgs = withPrefix(venvPython, "-m", "pip", "install").map((call) => call.args.slice(3));
    expect(pipArgs).toContainEqual(["-r", box.ws("ComfyUI/requirements.txt")]);
    expect(pipArgs.some((args) => args.includes("torch"))).toBe(true);
  });

  it("picks the torch build from the driver's CUDA version, and TORCH_INDEX_URL wins", async () => {
    await install({ FAKE_CUDA_VERSION: "13.0" });
    const torch = (await box.calls("uv")).filter((call) => call.args.includes("torch"));
    expect(torch[0]?.args.at(-1)).toBe("https://download.pytorch.org/whl/cu130");

    await box.clearCalls();
    await install({ TORCH_INDEX_URL: "https://example.invalid/whl" });
    const again = (await box.calls("uv")).filter((call) => call.args.includes("torch"));
    expect(again[0]?.args.at(-1)).toBe("https://example.invalid/whl");
  });

  it("fails without leaving a half-made ComfyUI when the clone fails", async () => {
    const result = await box.run(INSTALL, { FAKE_FAIL: "git clone:comfyanonymous" });
    expect(result.exitCode).not.toBe(0);
    expect(box.exists("ComfyUI")).toBe(false);
    expect(readdirSync(box.workspace)).toEqual([]);
  });
});

describe("reinstall_comfy.sh", () => {
  it("keeps models, outputs, inputs, workflows, settings and custom nodes; the code is fresh", async () => {
    await install();
    // What users made, which the reinstall moves into the fresh tree as it is.
    const made = {
      "ComfyUI/output/Ana Horvat/ComfyUI_00001_.png": "image",
      "ComfyUI/input/photo.png": "input",
      "ComfyUI/user/default/workflows/portrait.json": '{"nodes":[]}',
      "ComfyUI/user/default/comfy.settings.json": '{"theme":"dark"}',
      "ComfyUI/custom_nodes/my-node/requirements.txt": "numpy",
    };
    await box.writeFiles({
      "ComfyUI/models/checkpoints/model.safetensors": "weights",
      ...made,
      "ComfyUI/custom_nodes/my-node/.git/HEAD": "ref",
      "ComfyUI/main.py": "edited code",
    });
    await box.clearCalls();

    const result = await box.run(REINSTALL);
    expect(result.exitCode, result.output).toBe(0);

    await box.expectFiles({
      "models/checkpoints/model.safetensors": "weights",
      "ComfyUI/models/checkpoints/model.safetensors": "weights",
      ...made,
    });
    expect(await box.read("ComfyUI/main.py")).not.toBe("edited code");

    expect(await box.clones()).toContain("https://github.com/comfyanonymous/ComfyUI.git");
    const installs = withPrefix(await box.calls("uv"), "pip", "install").map((call) => call.args.at(-1));
    expect(installs).toContain(box.ws("ComfyUI/custom_nodes/my-node/requirements.txt"));

    // The old tree is kept (without its venv), holding the old code.
    const old = readdirSync(box.workspace).filter((name) => name.startsWith("ComfyUI.old-"));
    expect(old).toHaveLength(1);
    expect(await box.read(`${old[0]}/main.py`)).toBe("edited code");
    expect(box.exists(`${old[0]}/venv`)).toBe(false);
  });

  it("moves the models of an old install without the shared folder into it", async () => {
    await install();
    // An install from before the shared folder: a real models folder.
    await rm(box.ws("ComfyUI/models"));
    await box.write("ComfyUI/models/vae/old-vae.safetensors", "vae");
    const result = await box.run(REINSTALL);
    expect(result.exitCode, result.output).toBe(0);
    expect(await box.read("models/vae/old-vae.safetensors")).toBe("vae");
    expect(lstatSync(box.ws("ComfyUI/models")).isSymbolicLink()).toBe(true);
  });

  it("puts the old ComfyUI back when the fresh clone fails", async () => {
    await install();
    await box.write("ComfyUI/user/default/workflows/flow.json", "{}");
    const result = await box.run(REINSTALL, { FAKE_FAIL: "git clone:comfyanonymous" });
    expect(result.exitCode).not.toBe(0);
    expect(await box.read("ComfyUI/user/default/workflows/flow.json")).toBe("{}");
    expect(box.exists("ComfyUI/venv/bin/python")).toBe(true);
    expect(readdirSync(box.workspace).filter((name) => name.startsWith("ComfyUI."))).toEqual([]);
  });
});
