/** The downloader's public shapes: what it is given, what it reports, what it returns. */
import type { ConnectOptions } from "../wire/connection.js";
import type { TokenKind, Tokens } from "../http.js";

/** A file to download. `relDest` names it in the log (defaults to DEST relative to the workspace). */
export interface DownloadItem {
  url: string;
  /** Absolute path under the workspace. */
  dest: string;
  relDest?: string;
  sha256?: string;
}

/** A group of files whose progress is reported together (a model set). */
export interface DownloadGroup {
  id: string;
  name: string;
  files: DownloadItem[];
}

/** Aggregate progress of one set, for a progress bar. */
export interface DownloadProgress {
  id: string;
  name: string;
  /** Bytes on disk for the set's files (complete files, `.part` files and what is arriving). */
  doneBytes: number;
  /** Sum of the sizes known for the set's files (a file of unknown size counts what has arrived). */
  totalBytes: number;
  /** Files complete (downloaded now or already there). */
  filesDone: number;
  filesFailed: number;
  filesTotal: number;
  /** Recent speed over the set's files. */
  bytesPerSecond: number;
  /** True on the last report for the set. */
  finished: boolean;
}

export interface DownloadOptions {
  /** The workspace; every DEST must lie inside it, and its disk is the one checked for space. */
  workspaceDir: string;
  /** The studio's state folder; the size cache is `{stateDir}/models/sizes.json`. */
  stateDir: string;
  /** Hugging Face and Civitai tokens; each goes only to its own host, as `Authorization: Bearer`. */
  tokens: Tokens;
  /** Cancels the run: requests stop at once, `.part` files and their range state are kept, the promise rejects with an AbortError. */
  signal: AbortSignal;
  /** One line of the job log at a time (no trailing newline). Never receives a token. */
  log: (line: string) => void;
  /** Aggregate progress per set, at most every `progressIntervalMs`, and a last report per set. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Files downloaded at the same time (default 3). */
  concurrency?: number;
  /** Range connections for one file, when its server takes Range requests (default 8). */
  connectionsPerFile?: number;
  /** Range connections a file starts with; more are opened while each brings less than a fast one does (default 1). */
  firstConnections?: number;
  /** Connections of the whole run at most, over all files (default 16). */
  maxConnections?: number;
  /** Smallest piece a file is cut into for parallel ranges; a file up to this size uses one connection (default 16 MiB). */
  minPieceBytes?: number;
  /** Least time between two saves of a file's range state next to its `.part` (default 2000 ms). */
  stateSaveMs?: number;
  /** Extra tries after a network error, a dropped connection, 408/429 or 5xx (default 5). 4xx is not retried. */
  retries?: number;
  /** First back-off; it doubles on each retry up to 30 s (default 1000 ms). */
  retryBaseMs?: number;
  /** Which token goes to which host or `host:port` (default huggingface.co -> hf, civitai.com -> civitai). */
  tokenHosts?: Readonly<Record<string, TokenKind>>;
  /** Free bytes on the disk holding `dir` (default: `fs.statfs`). */
  freeSpace?: (dir: string) => Promise<number>;
  /** Least time between two progress lines of one file in the log (default 2000 ms). */
  logIntervalMs?: number;
  /** Least time between two `onProgress` reports of one set (default 500 ms). */
  progressIntervalMs?: number;
  /** A connection that brings no byte for this long is dropped and retried (default 60 s). */
  idleTimeoutMs?: number;
  /**
   * How bodies reach the disk: "async" (default) copies them into slabs written on the thread pool, which
   * never blocks the event loop; "sync" writes them with blocking writes straight from the connection's
   * buffer, for about half the CPU, and is only for a thread that does nothing else (`downloadSetsInThread`).
   */
  writes?: "async" | "sync";
  /** TLS settings for every host: `ca` trusts a certificate authority of one's own instead of the usual ones. */
  tls?: ConnectOptions;
}

/** What a finished run did. */
export interface DownloadSummary {
  /** Distinct files in the run. */
  files: number;
  /** Files fetched in this run. */
  downloaded: number;
  /** Files that were already complete. */
  skipped: number;
  /** Bytes received in this run. */
  bytesReceived: number;
}
