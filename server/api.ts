/**
 * The JSON shapes the studio answers with: one definition for the server and the page's script.
 * Types only (the page imports them with `import type`), so this file has no imports.
 */

export type ToolState = "stopped" | "starting" | "running" | "stopping" | "crashed";

/** A tool's status: `GET /tool_status/:tool_id`, `GET /tools`, `/debug`. */
export interface ToolStatus {
  tool_id: string;
  name: string;
  port: number;
  /** The RunPod proxy URL, or `http://{page host}:{port}`. */
  url: string;
  state: ToolState;
  installed: boolean;
  /** True in `starting`, `running` and `stopping`. */
  running: boolean;
  /** True when the tool answers its readiness check. */
  port_ready: boolean;
  owner: string | null;
  pid: number | null;
  started_at: string | null;
  /** The exit code, or null when it died by a signal (see `signal`) or its end was not seen. */
  exit_code: number | null;
  signal: string | null;
  ended_at: string | null;
  /** Why it is in its state, for a person (a crash's cause, who stopped it). */
  message: string | null;
  /** The last lines of its log when it crashed. */
  log_tail: string | null;
  description: string;
  /** What to do when it is not installed (null when it is). */
  install_hint: string | null;
  /** What a reinstall keeps. */
  reinstall_keeps: string;
  /** The link that opens it, with its token when it has one (`/tools` and `/tool_status` only). */
  open_url?: string;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type JobKind = "tool" | "custom_nodes" | "models";

/** A job: `GET /jobs`, newest first. */
export interface Job {
  job_id: string;
  kind: JobKind;
  target: string;
  action: string;
  status: JobStatus;
  exit_code: number | null;
  requested_by: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /** Why it ended as it did, for a person. */
  message: string | null;
  cancelled_by: string | null;
}

/** `GET /logs?source=S&cursor=N`. */
export interface LogAnswer {
  content: string;
  cursor: number;
  running: boolean;
  reset?: boolean;
  job_id?: string;
}

/** `GET /custom_nodes`. */
export interface CustomNode {
  name: string;
  repo_url: string;
  installed: boolean;
}

/** `GET /models`: complete files on disk of a set, and the bytes known for it. */
export interface ModelSetStatus {
  id: string;
  name: string;
  installed: number;
  total: number;
  bytes: number;
}

/** `GET /models/progress`, per set of the newest download. */
export interface SetProgress {
  id: string;
  done_bytes: number;
  total_bytes: number;
  files_done: number;
  files_failed: number;
  files_total: number;
  bytes_per_second: number;
  finished: boolean;
}

export interface ModelProgress {
  job_id: string | null;
  running: boolean;
  sets: SetProgress[];
}
