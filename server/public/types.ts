/** The shapes the studio's JSON API answers with, as the page uses them. */

export type ToolState = "stopped" | "starting" | "running" | "stopping" | "crashed";

export interface ToolStatus {
  tool_id: string;
  name: string;
  port: number;
  url: string;
  state: ToolState;
  installed: boolean;
  running: boolean;
  port_ready: boolean;
  owner: string | null;
  pid: number | null;
  started_at: string | null;
  exit_code: number | null;
  signal: string | null;
  ended_at?: string | null;
  message?: string | null;
  log_tail?: string | null;
  description?: string;
  /** What to do when it is not installed. */
  install_hint?: string | null;
  /** What a reinstall keeps. */
  reinstall_keeps?: string;
  /** The link that opens it (with its token when it has one). */
  open_url?: string;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface Job {
  job_id: string;
  kind: string;
  target: string;
  action: string;
  status: JobStatus;
  exit_code: number | null;
  requested_by: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  message?: string | null;
  cancelled_by?: string | null;
}

export interface ModelSet {
  id: string;
  name: string;
  installed: number;
  total: number;
  bytes: number;
}

export interface ModelSetProgress {
  id: string;
  done_bytes: number;
  total_bytes: number;
  files_done: number;
  files_total: number;
  bytes_per_second: number;
}

export interface ModelProgress {
  job_id: string | null;
  running: boolean;
  sets: ModelSetProgress[];
}

export interface CustomNode {
  name: string;
  repo_url: string;
  installed: boolean;
}

export interface LogAnswer {
  content: string;
  cursor: number;
  running: boolean;
  reset?: boolean;
  job_id?: string;
}

/** Who this browser is. */
export interface Me {
  artist: string | null;
  isAdmin: boolean;
  adminMode: boolean;
}
