/**
 * What the stand-in tools recorded (see test/fixtures/repo/standin-tool.mjs and standin-comfy.mjs): their
 * record, every request that reached them with the headers that matter, uploads, downloads, ComfyUI
 * prompts; and the switch that holds ComfyUI's queue.
 *
 * ```ts
 * const seen = standinRequests(s.dirs, "comfy-ui").filter((r) => r.url.startsWith("/prompt"));
 * holdComfyQueue(s.dirs, true);   // prompts stay running / pending until released
 * ```
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestDirs } from "./studio.js";

export interface StandinRequest {
  method: string;
  url: string;
  ws: boolean;
  headers: Record<string, string | undefined>;
}

export interface StandinRecord {
  pid: number;
  argv: string[];
  env: Record<string, string | null>;
  secretsSeen: string[];
  child: number | null;
  listening: { address: string; family: string; port: number } | null;
}

export const standinFile = (dirs: TestDirs, name: string) => path.join(dirs.workspace, ".standin", name);

function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);
}

export function standinRecord(dirs: TestDirs, tool: string): StandinRecord | null {
  const file = standinFile(dirs, `${tool}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as StandinRecord) : null;
}

/** Every request (and WebSocket) that reached the stand-in, oldest first. */
export const standinRequests = (dirs: TestDirs, tool: string) =>
  jsonLines<StandinRequest>(standinFile(dirs, `${tool}.requests.jsonl`));

export const standinUploads = (dirs: TestDirs, tool: string) =>
  jsonLines<{ bytes: number; sha256?: string; aborted?: boolean }>(
    standinFile(dirs, `${tool}.uploads.jsonl`),
  );

export const standinDownloads = (dirs: TestDirs, tool: string) =>
  jsonLines<{ bytes: number; sha256: string; complete: boolean }>(
    standinFile(dirs, `${tool}.downloads.jsonl`),
  );

/** The prompt bodies ComfyUI's stand-in received. */
export const comfyPrompts = (dirs: TestDirs) =>
  jsonLines<{
    prompt: Record<string, { inputs: Record<string, unknown> }>;
    extra_data?: Record<string, unknown>;
  }>(standinFile(dirs, "comfy-ui.prompts.jsonl"));

/** While held, ComfyUI's stand-in keeps its running prompt running and the others pending. */
export function holdComfyQueue(dirs: TestDirs, held: boolean): void {
  const file = standinFile(dirs, "comfy-ui.hold");
  if (held) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, "");
  } else rmSync(file, { force: true });
}
