/**
 * The pod's GPUs from `nvidia-smi` (none, and no error, where it is missing): name, memory, utilisation,
 * and the processes on each GPU.
 *
 * ```ts
 * await readGpus();  // [{ index: 0, name: "NVIDIA H100", memory_total_mb: 81559, ..., processes: [...] }]
 * ```
 */
import { execa } from "execa";

export interface GpuProcess {
  pid: number;
  used_mb: number;
}

export interface Gpu {
  index: number;
  name: string;
  uuid: string;
  memory_total_mb: number;
  memory_used_mb: number;
  utilization_pct: number;
  processes: GpuProcess[];
}

const number = (text: string | undefined) => {
  const value = Number((text ?? "").trim());
  return Number.isFinite(value) ? value : 0;
};

async function query(args: string[]): Promise<string[][] | null> {
  try {
    const result = await execa("nvidia-smi", args, { timeout: 5_000, reject: false });
    if (result.exitCode !== 0) return null;
    return result.stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => line.split(",").map((field) => field.trim()));
  } catch {
    return null;
  }
}

/** Every GPU with its processes; [] where nvidia-smi is missing or fails. */
export async function readGpus(): Promise<Gpu[]> {
  const rows = await query([
    "--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu",
    "--format=csv,noheader,nounits",
  ]);
  if (!rows) return [];
  const gpus: Gpu[] = rows.map(([index, name, uuid, total, used, util]) => ({
    index: number(index),
    name: name ?? "GPU",
    uuid: uuid ?? "",
    memory_total_mb: number(total),
    memory_used_mb: number(used),
    utilization_pct: number(util),
    processes: [],
  }));
  const apps = await query([
    "--query-compute-apps=gpu_uuid,pid,used_memory",
    "--format=csv,noheader,nounits",
  ]);
  for (const [uuid, pid, used] of apps ?? []) {
    const gpu = gpus.find((each) => each.uuid === uuid) ?? (gpus.length === 1 ? gpus[0] : undefined);
    if (gpu && number(pid) > 0) gpu.processes.push({ pid: number(pid), used_mb: number(used) });
  }
  return gpus;
}

/** How many GPUs the pod has (0 without nvidia-smi). */
export async function gpuCount(): Promise<number> {
  return (await readGpus()).length;
}
