/** Shared set-up for the LoRA-Tool tests: temp folders, real images, a log-capturing app, a zip reader. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { inflateRawSync } from "node:zlib";
import { pino } from "pino";
import sharp from "sharp";
import { execa } from "execa";
import { afterEach, beforeEach } from "vitest";
import { createLoraApp, type LoraAppOptions } from "../../lora-tool/server/app.js";

export interface TestDirs {
  root: string;
  workspaceDir: string;
  stateDir: string;
  datasetsDir: string;
  cleanup(): Promise<void>;
}

export async function makeDirs(): Promise<TestDirs> {
  const root = await mkdtemp(path.join(os.tmpdir(), "lora-tool-"));
  const workspaceDir = path.join(root, "workspace");
  return {
    root,
    workspaceDir,
    stateDir: path.join(workspaceDir, ".comfystudio"),
    datasetsDir: path.join(workspaceDir, "datasets"),
    cleanup: async () => await rm(root, { recursive: true, force: true }),
  };
}

export async function png(width = 40, height = 30, color = "#c8553d"): Promise<Buffer> {
  return await sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
}

export async function jpeg(width = 40, height = 30): Promise<Buffer> {
  return await sharp({ create: { width, height, channels: 3, background: "#2d6a4f" } })
    .jpeg()
    .toBuffer();
}

export async function webp(width = 40, height = 30): Promise<Buffer> {
  return await sharp({ create: { width, height, channels: 3, background: "#264653" } })
    .webp()
    .toBuffer();
}

export async function gif(): Promise<Buffer> {
  return await sharp({ create: { width: 8, height: 8, channels: 3, background: "#000" } })
    .gif()
    .toBuffer();
}

/** A pino logger whose lines are kept in `lines`. */
export function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

export function makeApp(dirs: TestDirs, options: Partial<LoraAppOptions> = {}) {
  const { logger, lines } = captureLogger();
  const lora = createLoraApp({
    workspaceDir: dirs.workspaceDir,
    stateDir: dirs.stateDir,
    logger,
    ...options,
  });
  return { ...lora, lines };
}

/** Every file and folder under `dir`, as paths relative to it. */
export async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((entry) => entry.split(path.sep).join("/")).sort();
}

/** Reads a zip (stored or deflated entries) into name -> content. */
export function unzip(zip: Buffer): Map<string, Buffer> {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error("not a zip");
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error("bad central directory");
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.subarray(offset + 46, offset + 46 + nameLength).toString("utf8");
    const localNameLength = zip.readUInt16LE(localOffset + 26);
    const localExtraLength = zip.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + localNameLength + localExtraLength;
    const data = zip.subarray(start, start + compressedSize);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

/** supertest's parser for binary answers (zip, images). */
export function binaryParser(res: unknown, callback: (error: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  stream.on("end", () => callback(null, Buffer.concat(chunks)));
}

/**
 * Temp folders and a fresh app for every test of a file, removed after it: `const t = freshApp();` then
 * `request(t.app)` and `t.dirs` inside the tests.
 */
export function freshApp(): { dirs: TestDirs; app: ReturnType<typeof makeApp>["app"] } {
  const current = {} as { dirs: TestDirs; app: ReturnType<typeof makeApp>["app"] };
  beforeEach(async () => {
    current.dirs = await makeDirs();
    current.app = makeApp(current.dirs).app;
  });
  afterEach(async () => await current.dirs.cleanup());
  return current;
}

const REPO = path.resolve(import.meta.dirname, "..", "..");

/** Whether some source in `sources` (a folder of .ts files) is newer than `output`, or `output` is missing. */
export function isStale(output: string, sources: string[]): boolean {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith(".ts"))
      .some((name) => statSync(path.join(dir, name)).mtimeMs > built),
  );
}

/** Builds the kit (its Node and browser modules) when an output is missing or older than its sources. */
export async function buildKit(): Promise<void> {
  const kit = path.join(REPO, "packages", "kit");
  const outputs: [string, string][] = [
    [path.join(kit, "dist", "node", ".tsbuildinfo"), path.join(kit, "node")],
    [path.join(kit, "dist", "web", ".tsbuildinfo"), path.join(kit, "web")],
  ];
  if (outputs.some(([output, source]) => isStale(output, [source]))) {
    await execa("npx", ["tsc", "-b", path.join(kit, "tsconfig.json")], { cwd: REPO });
  }
}
