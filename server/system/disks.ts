/** Free space of the workspace volume and of the container's root disk (statfs). */
import { promises as fs } from "node:fs";

export interface Disk {
  path: string;
  total_bytes: number;
  free_bytes: number;
}

export async function diskOf(path: string): Promise<Disk | null> {
  try {
    const stat = await fs.statfs(path);
    return { path, total_bytes: stat.blocks * stat.bsize, free_bytes: stat.bavail * stat.bsize };
  } catch {
    return null;
  }
}

export async function readDisks(paths: readonly string[]): Promise<Disk[]> {
  const disks = await Promise.all([...new Set(paths)].map(diskOf));
  return disks.filter((disk): disk is Disk => disk !== null);
}
