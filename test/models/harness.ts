/**
 * The downloader tests' common ground: a temp workspace and state folder per test, loopback file servers,
 * a log collected in memory, and options with short intervals and a quick back-off.
 *
 * ```ts
 * const h = useHarness();
 * it("...", async () => {
 *   h.hf.add("/a.bin", data);
 *   await downloadFiles([h.item(h.hf, "/a.bin", "m/a.bin")], h.options());
 * });
 * ```
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach } from "vitest";
import type { DownloadItem, DownloadOptions } from "../../server/models/downloader.js";
import { TestFileServer } from "./fileServer.js";

export interface Harness {
  root: string;
  ws: string;
  state: string;
  /** Takes the Hugging Face token. */
  hf: TestFileServer;
  /** Another host: takes no token. */
  cdn: TestFileServer;
  /** Takes the Civitai token. */
  civ: TestFileServer;
  logs: string[];
  options(extra?: Partial<DownloadOptions>): DownloadOptions;
  item(server: TestFileServer, urlPath: string, rel: string, sha?: string): DownloadItem;
  readWs(rel: string): Promise<Buffer>;
}

export function useHarness(): Harness {
  const h = {
    logs: [] as string[],
    options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
      return {
        workspaceDir: h.ws,
        stateDir: h.state,
        tokens: {},
        signal: new AbortController().signal,
        log: (line) => h.logs.push(line),
        retries: 3,
        retryBaseMs: 5,
        tokenHosts: { [h.hf.host]: "hf", [h.civ.host]: "civitai" },
        logIntervalMs: 20,
        progressIntervalMs: 10,
        ...extra,
      };
    },
    item(server: TestFileServer, urlPath: string, rel: string, sha?: string): DownloadItem {
      return { url: server.url(urlPath), dest: path.join(h.ws, rel), relDest: rel, sha256: sha };
    },
    async readWs(rel: string): Promise<Buffer> {
      return await fs.readFile(path.join(h.ws, rel));
    },
  } as Harness;
  beforeEach(async () => {
    h.root = await fs.mkdtemp(path.join(os.tmpdir(), "downloader-"));
    h.ws = path.join(h.root, "workspace");
    h.state = path.join(h.root, "state");
    await fs.mkdir(h.ws, { recursive: true });
    [h.hf, h.cdn, h.civ] = await Promise.all([
      TestFileServer.start(),
      TestFileServer.start(),
      TestFileServer.start(),
    ]);
    h.logs.length = 0;
  });
  afterEach(async () => {
    await Promise.all([h.hf.close(), h.cdn.close(), h.civ.close()]);
    await fs.rm(h.root, { recursive: true, force: true });
  });
  return h;
}

export async function exists(file: string): Promise<boolean> {
  return await fs.stat(file).then(
    () => true,
    () => false,
  );
}

/** Every file below `dir`. */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(full)));
    else out.push(full);
  }
  return out;
}
