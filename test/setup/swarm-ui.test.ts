/**
 * The SwarmUI scripts (setup/swarm-ui) against stand-in commands, and its kill script against real processes.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, isListening } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { childOf, isAlive, killGroup, writePidFile, expectLeftRunning } from "./processes.js";
import {
  expectExeced,
  preflightHosts,
  toolScripts,
  withPrefix,
  type Sandbox,
  eachSandbox,
  runOk,
} from "./sandbox.js";

const SWARM = toolScripts("swarm-ui", "swarm_ui");

let box: Sandbox;
eachSandbox((made) => (box = made));

const install = () => runOk(box, SWARM.install);

/** The calls of the stand-in dotnet-install.sh, as [channel, install dir]. */
async function dotnetInstalls(): Promise<string[][]> {
  return (await box.calls())
    .filter((call) => call.name === "dotnet-install.sh")
    .map((call) => [call.args[1]!, call.args[3]!]);
}

describe("install_swarm_ui.sh", () => {
  it("clones it, installs the .NET SDKs its own installer names into the workspace, and builds it", async () => {
    const result = await box.run(SWARM.install, { FAKE_RECORD_ENV: "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT" });
    expect(result.exitCode, result.output).toBe(0);
    expect((await box.clones())[0]).toBe("https://github.com/mcmonkeyprojects/SwarmUI.git");
    expect(
      (await box.calls("curl")).some((call) => call.args.includes("https://dot.net/v1/dotnet-install.sh")),
    ).toBe(true);
    expect(await dotnetInstalls()).toEqual([
      ["8.0", box.ws(".dotnet")],
      ["10.0", box.ws(".dotnet")],
    ]);
    const build = withPrefix(await box.calls("dotnet"), "build")[0];
    expect(build?.args).toEqual([
      "build",
      "src/SwarmUI.csproj",
      "--configuration",
      "Release",
      "-o",
      "./src/bin/live_release",
    ]);
    expect(build?.cwd).toBe(box.ws("SwarmUI"));
    // Without libicu the .NET CLI needs invariant globalization, as SwarmUI's launcher sets it.
    expect(build?.env.DOTNET_SYSTEM_GLOBALIZATION_INVARIANT).toBe("1");
    expect(box.exists("SwarmUI/src/bin/live_release/SwarmUI.dll")).toBe(true);
    expect((await preflightHosts(box)).sort()).toEqual(
      ["api.nuget.org", "builds.dotnet.microsoft.com", "dot.net", "github.com"].sort(),
    );
  });

  it("writes settings that use the shared models folder and the studio's ComfyUI, once, and keeps SwarmUI's own after", async () => {
    await install();
    const settings = await box.read("SwarmUI/Data/Settings.fds");
    expect(settings).toMatch(/^IsInstalled: true$/m);
    expect(settings).toMatch(/^LaunchMode: none$/m);
    expect(settings).toContain(`Paths:\n\tModelRoot: ${box.ws("models")}\n\tSDModelFolder: checkpoints\n`);
    expect(settings).toContain(
      "\tSDLoraFolder: loras\n\tSDVAEFolder: vae\n\tSDEmbeddingFolder: embeddings\n",
    );
    expect(await box.read("SwarmUI/Data/Backends.fds")).toBe(
      [
        "0:",
        "\ttype: comfyui_selfstart",
        "\ttitle: ComfyUI (the studio's install)",
        "\tenabled: true",
        "\tsettings:",
        `\t\tStartScript: ${box.ws("ComfyUI/main.py")}`,
        "\t\tAutoUpdate: false",
        "\t\tUpdateManagedNodes: false",
        "\t\tGPU_ID: 0",
        "\t\tAutoRestart: true",
        "",
      ].join("\n"),
    );

    // SwarmUI edits its own files from here on; an update or a second install keeps them.
    await box.write("SwarmUI/Data/Settings.fds", "IsInstalled: true\nPaths:\n\tModelRoot: Models\n");
    await box.write("SwarmUI/Data/Backends.fds", "0:\n\ttype: comfyui_api\n");
    await box.clearCalls();
    const result = await box.run(SWARM.update);
    expect(result.exitCode, result.output).toBe(0);
    expect(await box.read("SwarmUI/Data/Settings.fds")).toBe(
      "IsInstalled: true\nPaths:\n\tModelRoot: Models\n",
    );
    expect(await box.read("SwarmUI/Data/Backends.fds")).toBe("0:\n\ttype: comfyui_api\n");
    expect(result.output).toContain("is kept as it is (its ModelRoot does not name");
    // .NET is there already: nothing is downloaded again.
    expect(await dotnetInstalls()).toEqual([]);
  });

  it("installs the .NET its project targets when its installer script names none", async () => {
    await box.write("SwarmUI/.git/HEAD", "ref");
    await box.write("SwarmUI/launch-linux.sh", "#!/usr/bin/env bash\n");
    await box.write(
      "SwarmUI/src/SwarmUI.csproj",
      "<Project><PropertyGroup><TargetFramework>net9.0</TargetFramework></PropertyGroup></Project>\n",
    );
    const result = await box.run(SWARM.install);
    expect(result.exitCode, result.output).toBe(0);
    expect(await dotnetInstalls()).toEqual([["9.0", box.ws(".dotnet")]]);
    expect(result.output).toContain("installing .NET 9.0, the one src/SwarmUI.csproj targets");
  });
});

describe("start_swarm_ui.sh", () => {
  it("runs launch-linux.sh on LISTEN_HOST:PORT with .NET from the workspace", async () => {
    await install();
    await box.clearCalls();
    const result = await box.run(SWARM.start, { PORT: "7962", FAKE_RECORD_ENV: "DOTNET_ROOT" });
    expect(result.exitCode, result.output).toBe(0);
    const run = (await box.calls()).find((call) => call.name === "launch-linux.sh");
    expectExeced(run, { cwd: box.ws("SwarmUI") });
    expect(run?.args).toEqual(["--launch_mode", "none", "--host", "127.0.0.1", "--port", "7962"]);
    expect(run?.env.DOTNET_ROOT).toBe(box.ws(".dotnet"));
    expect(box.exists(".comfystudio/run/swarm-ui.7962.pid")).toBe(true);
    expect(result.output).toContain("ComfyUI is not installed: SwarmUI's backend");
  });

  it("takes the port from SWARMUI_PORT when the studio passes no PORT, and PORT wins over it", async () => {
    await install();
    for (const [extra, port] of [
      [{ SWARMUI_PORT: "7963" }, "7963"],
      [{ SWARMUI_PORT: "7963", PORT: "7964" }, "7964"],
    ] as const) {
      await box.clearCalls();
      const result = await box.run(SWARM.start, extra);
      expect(result.exitCode, result.output).toBe(0);
      const run = (await box.calls()).find((call) => call.name === "launch-linux.sh");
      expect(run?.args.slice(-2)).toEqual(["--port", port]);
    }
  });
});

describe("reinstall_swarm_ui.sh and update_swarm_ui.sh", () => {
  it("reinstall keeps settings, models, outputs, backends and extensions", async () => {
    await install();
    const made = {
      "SwarmUI/Data/Settings.fds": "settings",
      "SwarmUI/Data/Users.ldb": "users",
      "SwarmUI/Models/Stable-Diffusion/sdxl.safetensors": "weights",
      "SwarmUI/Output/local/raw/2025-01-01/image.png": "image",
      "SwarmUI/dlbackend/ComfyUI/main.py": "backend",
      "SwarmUI/src/Extensions/MyExtension/Ext.cs": "extension",
    };
    await box.writeFiles(made);
    const result = await box.run(SWARM.reinstall);
    expect(result.exitCode, result.output).toBe(0);
    await box.expectFiles(made);
    expect(readdirSync(box.workspace).filter((name) => name.startsWith("SwarmUI.old-"))).toHaveLength(1);
  });

  it("update pulls and builds again", async () => {
    await install();
    await box.clearCalls();
    const result = await box.run(SWARM.update);
    expect(result.exitCode, result.output).toBe(0);
    expect(withPrefix(await box.calls("git"), "-C", box.ws("SwarmUI"), "pull")).toHaveLength(1);
    expect(withPrefix(await box.calls("dotnet"), "build")).toHaveLength(1);
  });
});

describe("kill_swarm_ui.sh", () => {
  it("stops the launcher the studio started and what it runs", async () => {
    const swarm = box.ws("SwarmUI");
    await mkdir(swarm, { recursive: true });
    const launcher = path.join(swarm, "launch-linux.sh");
    const port = await freePort();
    await writeFile(
      launcher,
      `#!/usr/bin/env bash\n${process.execPath} -e 'require("net").createServer().listen(${port}, "127.0.0.1")'\n`,
    );
    await chmod(launcher, 0o755);
    const tree = spawn("bash", ["./launch-linux.sh"], { cwd: swarm, detached: true, stdio: "ignore" });
    try {
      await waitFor(() => isListening(port), { what: "the stand-in SwarmUI" });
      const server = childOf(tree.pid!);
      await writePidFile(box, "swarm-ui", port, tree.pid!);
      const result = await box.run(SWARM.kill);
      expect(result.exitCode, result.output).toBe(0);
      await waitFor(() => !isAlive(tree.pid!) && !isAlive(server), { what: "SwarmUI to stop" });
    } finally {
      killGroup(tree.pid);
    }
  });

  it("leaves a SwarmUI started by hand running", async () => {
    const swarm = box.ws("SwarmUI");
    await mkdir(swarm, { recursive: true });
    await writeFile(path.join(swarm, "launch-linux.sh"), "#!/usr/bin/env bash\nsleep 300\n");
    const tree = spawn("bash", ["./launch-linux.sh"], { cwd: swarm, detached: true, stdio: "ignore" });
    try {
      await expectLeftRunning(box, SWARM.kill, tree.pid!);
    } finally {
      killGroup(tree.pid);
      await rm(swarm, { recursive: true, force: true });
    }
  });
});
