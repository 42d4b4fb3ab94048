import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeGpus, type FakeGpus } from "../helpers/gpus.js";
import { post, signIn, useStudios, waitState } from "../helpers/http.js";
import { envOf } from "../../server/process/proc.js";
import { FIXTURE_REPO, install, makeDirs } from "../helpers/studio.js";
import { waitFor } from "../helpers/wait.js";

const studio = useStudios();
let gpus: FakeGpus | undefined;
afterEach(() => {
  gpus?.restore();
  gpus = undefined;
});

describe("GET /system", () => {
  it("has no GPUs and no error where nvidia-smi is missing, and shows the disks", async () => {
    const s = await studio();
    const body = (await s.agent().get("/system").expect(200)).body;
    expect(body.gpus).toEqual([]);
    expect(body.disks.map((disk: { path: string }) => disk.path)).toEqual([s.dirs.workspace, "/"]);
    for (const disk of body.disks) expect(disk.free_bytes).toBeLessThanOrEqual(disk.total_bytes);
  });

  it("lists GPUs with their processes, each mapped to the tool whose processes hold it", async () => {
    gpus = fakeGpus(2);
    const s = await studio();
    install(s.dirs, "ComfyUI");
    const rosa = await signIn(s, "Rosa Macak Cizmesija");
    await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    const running = await waitState(rosa, "running");
    gpus.place(1, running.pid, 70_000);
    gpus.place(0, 1, 500);
    const body = (await rosa.get("/system").expect(200)).body;
    expect(body.gpus).toHaveLength(2);
    expect(body.gpus[0]).toMatchObject({
      index: 0,
      name: "NVIDIA H100 80GB HBM3",
      memory_total_mb: 81_559,
      memory_used_mb: 1_024,
      utilization_pct: 0,
    });
    expect(body.gpus[0].processes).toEqual([{ pid: 1, used_mb: 500, tool_id: null }]);
    expect(body.gpus[1].processes).toEqual([{ pid: running.pid, used_mb: 70_000, tool_id: "comfy-ui" }]);
  });

  it("a start that runs out of GPU memory says what holds it", async () => {
    gpus = fakeGpus(1, 81_559, 80_400);
    const dirs = await makeDirs();
    const repo = path.join(dirs.root, "repo");
    cpSync(FIXTURE_REPO, repo, { recursive: true });
    writeFileSync(
      path.join(repo, "setup", "comfy", "start_comfy.sh"),
      'echo "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"\nexit 1\n',
    );
    const t = await studio({ dirs: { ...dirs, env: { ...dirs.env, REPO_DIR: repo } } });
    install(t.dirs, "ComfyUI");
    const rosa = await signIn(t, "Rosa Macak Cizmesija");
    // Something else holds the GPU: the lora-tool stand-in, as if it were a trainer.
    await post(rosa, "/start_session", { tool_id: "lora-tool" }).expect(202);
    const holder = await waitState(rosa, "running", "lora-tool");
    gpus.place(0, holder.pid, 74_000);
    await post(rosa, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    const crashed = await waitState(rosa, "crashed");
    expect(crashed.message).toMatch(
      /GPU 0 has 1\.2 GB free; LoRA-Tool started by Rosa Macak Cizmesija holds 77\.6 GB/,
    );
  });
});

describe("one ComfyUI per GPU", () => {
  it("COMFYUI_INSTANCES=2: each artist gets a GPU of their own while one is free, then shares the least used", async () => {
    gpus = fakeGpus(2);
    const s = await studio({ env: { COMFYUI_INSTANCES: "2" } });
    install(s.dirs, "ComfyUI");
    const [rosa, zoe, razvan] = await Promise.all(
      ["Rosa Macak Cizmesija", "Zoë Šimić", "Razvan Matei"].map((name) => signIn(s, name)),
    );
    await post(rosa!, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    await waitState(rosa!, "running");
    await post(zoe!, "/start_session", { tool_id: "comfy-ui" }).expect(202);
    const status = await waitFor(async () => {
      const body = (await zoe!.get("/tool_status/comfy-ui").expect(200)).body;
      return body.instances?.every((instance: { state: string }) => instance.state === "running")
        ? body
        : null;
    });
    expect(status.instances.map((i: { gpu: number; owner: string }) => [i.gpu, i.owner])).toEqual([
      [0, "Rosa Macak Cizmesija"],
      [1, "Zoë Šimić"],
    ]);
    const instances = s.studio.manager.instances("comfy-ui");
    const devices = instances.map((instance) => envOf(instance.record.pid!, "CUDA_VISIBLE_DEVICES"));
    expect(devices.sort()).toEqual(["0", "1"]);
    // A third artist joins the least used running one.
    expect((await post(razvan!, "/start_session", { tool_id: "comfy-ui" }).expect(200)).body.state).toBe(
      "running",
    );
    const after = (await razvan!.get("/tool_status/comfy-ui").expect(200)).body;
    expect(after.instances.map((i: { artists: string[] }) => i.artists.length).sort()).toEqual([1, 2]);
    // Each owner stops their own instance only.
    await post(rosa!, "/stop_session", { tool_id: "comfy-ui" }).expect(200);
    const states = (await rosa!.get("/tool_status/comfy-ui").expect(200)).body.instances.map(
      (i: { state: string }) => i.state,
    );
    expect(states).toEqual(["stopped", "running"]);
  });

  it("COMFYUI_INSTANCES=auto: one per GPU (8 here), none pinned with one", async () => {
    gpus = fakeGpus(8);
    const s = await studio({ env: { COMFYUI_INSTANCES: "auto" } });
    expect(s.studio.manager.instances("comfy-ui").map((instance) => instance.gpu)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    expect((await s.agent().get("/tool_status/comfy-ui").expect(200)).body.instances).toHaveLength(8);
    gpus.restore();
    gpus = fakeGpus(1);
    const one = await studio({ env: { COMFYUI_INSTANCES: "auto" } });
    expect(one.studio.manager.instances("comfy-ui").map((instance) => instance.gpu)).toEqual([null]);
    expect((await one.agent().get("/tool_status/comfy-ui").expect(200)).body.instances).toBeUndefined();
  });
});
