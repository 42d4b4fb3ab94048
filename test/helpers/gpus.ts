/**
 * A stand-in nvidia-smi (test/fixtures/bin-extra) first on PATH with `count` GPUs, and the processes the
 * test puts on them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findRepoRoot } from "../../server/config.js";

const BIN = path.join(findRepoRoot(), "test", "fixtures", "bin-extra");

export interface FakeGpus {
  /** Puts `pid` on GPU `index` using `usedMb`. */
  place: (index: number, pid: number, usedMb: number) => void;
  restore: () => void;
}

export function fakeGpus(count: number, totalMb = 81_559, usedMb = 1_024): FakeGpus {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gpus-"));
  const gpus = path.join(dir, "gpus.csv");
  const apps = path.join(dir, "apps.csv");
  writeFileSync(
    gpus,
    Array.from(
      { length: count },
      (_, i) => `${i}, NVIDIA H100 80GB HBM3, GPU-${i}, ${totalMb}, ${usedMb}, ${i * 10}\n`,
    ).join(""),
  );
  writeFileSync(apps, "");
  const saved = {
    PATH: process.env.PATH,
    NVIDIA_SMI_GPUS: process.env.NVIDIA_SMI_GPUS,
    NVIDIA_SMI_APPS: process.env.NVIDIA_SMI_APPS,
  };
  process.env.PATH = `${BIN}:${saved.PATH ?? ""}`;
  process.env.NVIDIA_SMI_GPUS = gpus;
  process.env.NVIDIA_SMI_APPS = apps;
  const placed: string[] = [];
  return {
    place: (index, pid, used) => {
      placed.push(`GPU-${index}, ${pid}, ${used}\n`);
      writeFileSync(apps, placed.join(""));
    },
    restore: () => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
