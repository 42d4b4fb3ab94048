/**
 * What `GET /system` shows: the GPUs with each process mapped to the tool whose processes hold it, and the
 * disks (the workspace volume, the container's root). Also the sentences a failed start gets when it ran
 * out of GPU memory or disk ("GPU 0 has 1.1 GB free; ComfyUI started by Rosa holds 74.0 GB").
 */
import { isGroupAlive } from "../process/proc.js";
import type { ToolManager } from "../tools/manager.js";
import type { ToolSupervisor } from "../tools/supervisor.js";
import { formatBytes } from "../util/bytes.js";
import { readDisks, type Disk } from "./disks.js";
import { readGpus, type Gpu } from "./gpus.js";
import { readFileSync } from "node:fs";

export interface SystemView {
  gpus: (Omit<Gpu, "uuid" | "processes"> & {
    processes: { pid: number; used_mb: number; tool_id: string | null }[];
  })[];
  disks: Disk[];
}

/** The process group of a pid (from /proc), or null. */
function groupOf(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return null;
  }
}

/** The tool instance whose process group holds `pid`. */
export function instanceOf(manager: ToolManager, pid: number): ToolSupervisor | undefined {
  const group = groupOf(pid);
  return manager
    .all()
    .find(
      (instance) =>
        instance.isActive &&
        instance.record.pgid !== null &&
        (instance.record.pgid === group || instance.record.pid === pid) &&
        isGroupAlive(instance.record.pgid),
    );
}

export async function systemView(manager: ToolManager, diskPaths: readonly string[]): Promise<SystemView> {
  const [gpus, disks] = await Promise.all([readGpus(), readDisks(diskPaths)]);
  return {
    gpus: gpus.map(({ uuid: _uuid, processes, ...gpu }) => ({
      ...gpu,
      processes: processes.map((process) => ({
        ...process,
        tool_id: instanceOf(manager, process.pid)?.tool.id ?? null,
      })),
    })),
    disks,
  };
}

const mb = (value: number) => formatBytes(value * 1024 * 1024);

/** For a start that failed: what holds the GPU memory, or how full the disk is; null when neither. */
export async function resourceHint(
  manager: ToolManager,
  log: string,
  gpu: number | null,
  diskPaths: readonly string[],
): Promise<string | null> {
  if (/out of memory|OutOfMemoryError|CUDA error: out of memory|CUBLAS_STATUS_ALLOC_FAILED/i.test(log)) {
    const gpus = await readGpus();
    const shown = gpus.filter((each) => gpu === null || each.index === gpu);
    if (shown.length === 0) return "It ran out of GPU memory.";
    return shown
      .map((each) => {
        const free = `GPU ${each.index} has ${mb(each.memory_total_mb - each.memory_used_mb)} free`;
        const holders = each.processes
          .map((process) => ({ process, instance: instanceOf(manager, process.pid) }))
          .sort((a, b) => b.process.used_mb - a.process.used_mb)
          .map(({ process, instance }) =>
            instance
              ? `${instance.tool.name} started by ${instance.record.owner ?? "someone"} holds ${mb(process.used_mb)}`
              : `process ${process.pid} holds ${mb(process.used_mb)}`,
          );
        return holders.length > 0 ? `${free}; ${holders.join(", ")}` : free;
      })
      .join(". ");
  }
  if (/No space left on device|ENOSPC|Disk quota exceeded/i.test(log)) {
    const disks = await readDisks(diskPaths);
    return (
      disks
        .map(
          (disk) =>
            `${disk.path} has ${formatBytes(disk.free_bytes)} free of ${formatBytes(disk.total_bytes)}`,
        )
        .join("; ") || "The disk is full."
    );
  }
  return null;
}
