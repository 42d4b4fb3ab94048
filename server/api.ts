/**
 * The JSON shapes the studio answers with: one definition for the server and the page's script, and the
 * one list of tool states and job statuses. This file has no imports, so the page can load it too.
 */

export const TOOL_STATES = ["stopped", "starting", "running", "stopping", "crashed"] as const;
export type ToolState = (typeof TOOL_STATES)[number];
/** The states in which a tool has a process: `running` is true in these. */
export const ACTIVE_STATES: readonly ToolState[] = ["starting", "running", "stopping"];

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
  /** `{studio origin}/open/{tool_id}`: enters the tool through the gateway. */
  open_url: string;
  /** When an artist last used it through the gateway (ISO), or null. */
  last_activity_at: string | null;
  /** Artists with a request in the last 5 minutes. */
  active_artists: string[];
  /** When it will be stopped for being idle (ISO), or null. */
  idle_stop_at: string | null;
  /** Whether only admins may open it (ADMIN_ONLY_TOOLS). */
  admin_only: boolean;
  /** ComfyUI with COMFYUI_INSTANCES: one per GPU. */
  instances?: InstanceStatus[];
}

/** One ComfyUI instance (one per GPU). */
export interface InstanceStatus {
  /** Its GPU index, or null when it is not pinned to one. */
  gpu: number | null;
  state: ToolState;
  owner: string | null;
  /** Artists sent to it now. */
  artists: string[];
  pid: number | null;
}

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** Statuses of a job that has not ended. */
export const PENDING_STATUSES: readonly JobStatus[] = ["queued", "running"];
export const JOB_KINDS = ["tool", "custom_nodes", "models", "old_copy"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

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

/** An old copy a reinstall left beside a tool: `GET /old_copies`. */
export interface OldCopy {
  /** The folder's name in the workspace, e.g. `ComfyUI.old-20261201-101500`. */
  name: string;
  tool_id: string;
  /** When the reinstall made it (from its name). */
  made_at: string;
  /** Disk bytes it holds; null until measured, or when it cannot be. */
  bytes: number | null;
  /** Its size is being measured (`du` runs). */
  measuring: boolean;
}
