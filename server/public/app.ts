/**
 * The studio page: the header, the tool cards, the output view, the gallery, GPUs and disks, the API key,
 * the pod's idle warning and, in admin mode, the admin panel. Everything refreshes by polling the JSON
 * API; the page never reloads itself (only logging out does).
 */
import { goOnIfReady } from "./next.js";
import { AdminTools } from "./admin-tools.js";
import { ApiError, getJson, messageOf } from "./api.js";
import { CustomNodesView } from "./custom-nodes.js";
import { OldCopiesView } from "./old-copies.js";
import { confirmDialog } from "./dialogs.js";
import { byId, h, setHidden, showError } from "./dom.js";
import { GalleryView } from "./gallery.js";
import { Header } from "./header.js";
import { isPending, JobsView } from "./jobs.js";
import { KeyPanel } from "./keys.js";
import { ModelsView } from "./models.js";
import { PodBanner } from "./pod.js";
import { Poller } from "./poller.js";
import { SystemPanel } from "./system.js";
import { Terminal } from "./terminal.js";
import { ToolsView } from "./tools.js";
import type { Job, Me, ToolStatus } from "./types.js";
import { UsersPanel, UsersRoster, type UserEntry, type UsersAnswer } from "./users.js";

const body = document.body;
const me: Me = {
  artist: body.dataset.artist ? body.dataset.artist : null,
  isAdmin: body.dataset.admin === "true",
  adminMode: body.dataset.adminMode === "true",
};
let jobs: Job[] = [];
/** Poll tools quickly until this time (after an action). */
let fastUntil = 0;

function readJson<T>(id: string, fallback: T): T {
  try {
    return (JSON.parse(document.getElementById(id)?.textContent ?? "null") as T | null) ?? fallback;
  } catch {
    return fallback;
  }
}

const announcer = byId("announcer", HTMLElement);
function announce(text: string): void {
  announcer.textContent = "";
  window.setTimeout(() => (announcer.textContent = text), 50);
}

const pageError = byId("page-error", HTMLElement);
const connection = {
  failures: 0,
  ok(): void {
    if (this.failures === 0) return;
    this.failures = 0;
    showError(pageError, null);
  },
  failed(error: unknown): void {
    this.failures++;
    if (error instanceof ApiError && error.status === 401) {
      showError(pageError, "Your login has ended: reload the page to log in again.");
    } else if (this.failures >= 2 || (error instanceof ApiError && error.status === 0)) {
      showError(pageError, `The page lost contact with the studio (${messageOf(error)}). It keeps trying…`);
    }
  },
};

// ---------------------------------------------------------------- output

const terminal = new Terminal(
  {
    output: byId("terminal", HTMLPreElement),
    empty: byId("terminal-empty", HTMLElement),
    title: byId("log-source-title", HTMLElement),
    status: byId("log-status", HTMLElement),
    source: byId("log-source", HTMLSelectElement),
    copy: byId("log-copy", HTMLButtonElement),
    clear: byId("log-clear", HTMLButtonElement),
    jump: byId("log-jump", HTMLButtonElement),
    error: byId("log-error", HTMLElement),
    copied: byId("log-copied", HTMLElement),
  },
  {
    adminMode: () => me.adminMode,
    anyAdminJob: () => jobs.some((job) => job.started_at !== null),
    // Only called by follow(), once everything below exists.
    onFollow: (source) => {
      toolsView.setFollowed(source);
      jobsView.setFollowed(source);
    },
  },
);
const follow = (source: string, title: string) => terminal.follow(source, title);
const pendingJobs = () => jobs.filter(isPending);

// ---------------------------------------------------------------- tools

const toolsView: ToolsView = new ToolsView(byId("tools", HTMLUListElement), {
  me: () => me,
  pendingJobs,
  follow,
  changed: (status) => {
    if (status) toolsView.updateOne(status);
    fastUntil = Date.now() + 6000;
    toolsPoller.now();
    terminal.poke();
  },
  confirm: confirmDialog,
  announce,
});

const adminHooks = {
  follow,
  jobsChanged: () => jobsPoller.now(),
  toolsChanged: () => toolsPoller.now(),
  confirm: confirmDialog,
  pendingJobs,
};
const adminTools = new AdminTools(byId("admin-tools", HTMLUListElement), adminHooks);
const keys = new KeyPanel({ me: () => me, tools: () => toolsView.tools, confirm: confirmDialog });
const nodesView = new CustomNodesView(
  {
    list: byId("nodes", HTMLUListElement),
    summary: byId("nodes-summary", HTMLElement),
    install: byId("nodes-install", HTMLButtonElement),
    update: byId("nodes-update", HTMLButtonElement),
    error: byId("nodes-error", HTMLElement),
    hostNote: byId("nodes-host", HTMLElement),
  },
  adminHooks,
);

const oldCopies = new OldCopiesView(
  {
    list: byId("old-copies", HTMLUListElement),
    empty: byId("old-copies-empty", HTMLElement),
    error: byId("old-copies-error", HTMLElement),
  },
  { ...adminHooks, toolName: (id) => toolsView.name(id) },
);

function showTools(tools: ToolStatus[]): void {
  toolsView.render(tools);
  byId("tools", HTMLUListElement).removeAttribute("aria-busy");
  if (me.adminMode) adminTools.render(tools);
  nodesView.syncTools(tools);
  keys.renderUrls();
}

const toolsPoller = new Poller(async () => {
  try {
    const answer = await getJson<{ tools: ToolStatus[] }>("/tools");
    connection.ok();
    showTools(answer.tools);
  } catch (error) {
    connection.failed(error);
    return 3000;
  }
  return toolsView.busy || Date.now() < fastUntil ? 500 : 1500;
});

// ---------------------------------------------------------------- jobs, models

const jobsView: JobsView = new JobsView(byId("jobs", HTMLOListElement), byId("jobs-empty", HTMLElement), {
  toolName: (id) => toolsView.name(id),
  follow,
  changed: () => jobsPoller.now(),
  adminMode: () => me.adminMode,
});

const modelsView = new ModelsView(
  {
    list: byId("model-sets", HTMLUListElement),
    empty: byId("models-empty", HTMLElement),
    hf: byId("hf-token", HTMLInputElement),
    civitai: byId("civitai-token", HTMLInputElement),
    download: byId("models-download", HTMLButtonElement),
    hint: byId("models-hint", HTMLElement),
    error: byId("models-error", HTMLElement),
    form: byId("models-form", HTMLFormElement),
  },
  adminHooks,
);

const jobsError = byId("jobs-error", HTMLElement);
let nodesJobPending = false;
/** The ended jobs that make or delete old copies (reinstalls, deletes), as of the last poll. */
let copiesJobsEnded = "";
const jobsPoller = new Poller(async () => {
  try {
    jobs = (await getJson<{ jobs: Job[] }>("/jobs")).jobs;
    showError(jobsError, null);
  } catch (error) {
    showError(jobsError, `The job list could not be read: ${messageOf(error)}`);
    return 4000;
  }
  toolsView.refresh();
  const pending = jobs.some(isPending);
  if (!me.adminMode) return pending ? 2500 : 6000;
  jobsView.render(jobs);
  adminTools.render(toolsView.tools);
  modelsView.syncJobs(jobs);
  const nodesPending = jobs.some((job) => job.kind === "custom_nodes" && isPending(job));
  if (nodesJobPending && !nodesPending) void nodesView.load();
  nodesJobPending = nodesPending;
  // A reinstall or a delete that ended since the last poll changed the old copies.
  const copiesEnded = jobs
    .filter(
      (job) =>
        !isPending(job) && (job.kind === "old_copy" || (job.kind === "tool" && job.action === "reinstall")),
    )
    .map((job) => job.job_id)
    .join(",");
  if (copiesEnded !== copiesJobsEnded) void oldCopies.load();
  copiesJobsEnded = copiesEnded;
  if (modelsView.isDownloading) {
    await modelsView.pollProgress();
    return 1000;
  }
  return pending ? 1000 : 2500;
});

// ---------------------------------------------------------------- gallery, users, pod, GPUs

const gallery = new GalleryView({ me: () => me, confirm: confirmDialog, announce });
const usersWarnings = byId("users-warnings", HTMLElement);
const roster = new UsersRoster(showUsers);
const usersPanel = new UsersPanel(
  {
    list: byId("users", HTMLUListElement),
    form: byId("user-add", HTMLFormElement),
    name: byId("user-new-name", HTMLInputElement),
    admin: byId("user-new-admin", HTMLInputElement),
    error: byId("users-error", HTMLElement),
  },
  { changed: (answer) => roster.take(answer), confirm: confirmDialog, announce },
);
const header = new Header({ me: () => me, apply: applyMe, announce }, body.dataset.adminPassword === "true");
const pod = new PodBanner();
const system = new SystemPanel((id) => toolsView.name(id));

function showUsers(answer: UsersAnswer): void {
  header.setUsers(answer.users);
  gallery.setUsers(answer.users.map((user) => user.name));
  usersPanel.render(answer.users);
  usersWarnings.replaceChildren(...answer.warnings.map((text) => h("p", { class: "banner warning", text })));
  // Removed from the list, or no longer an admin: the studio has forgotten it already; the page follows.
  const mine = answer.users.find((user) => user.name === me.artist);
  if (me.artist !== null && !mine) applyMe({ artist: null, isAdmin: false, adminMode: false });
  else if (mine && mine.is_admin !== me.isAdmin)
    applyMe({ artist: me.artist, isAdmin: mine.is_admin, adminMode: mine.is_admin && me.adminMode });
}

// ---------------------------------------------------------------- who this browser is

/** Whether the admin panel's lists were read since admin mode went on. */
let adminListsLoaded = false;

function applyMe(next: Me): void {
  const artistChanged = next.artist !== me.artist;
  if (artistChanged && goOnIfReady(next.artist)) return;
  Object.assign(me, next);
  body.dataset.artist = me.artist ?? "";
  body.dataset.admin = String(me.isAdmin);
  body.dataset.adminMode = String(me.adminMode);
  header.showMe(me);
  setHidden(byId("admin-switch", HTMLElement), !me.isAdmin);
  setHidden(byId("admin-panel", HTMLElement), !me.adminMode);
  setHidden(byId("admin-link", HTMLElement), !me.adminMode);
  setHidden(byId("pick-hint", HTMLElement), me.artist !== null);
  terminal.updateAdminMode(me.adminMode);
  toolsView.refresh();
  gallery.meChanged();
  if (artistChanged) void keys.refresh();
  if (me.adminMode) {
    adminTools.render(toolsView.tools);
    jobsView.render(jobs);
    if (!adminListsLoaded) {
      adminListsLoaded = true;
      void nodesView.load();
      void modelsView.load();
      void oldCopies.load();
    }
  } else {
    adminListsLoaded = false;
  }
  jobsPoller.now();
}

// ---------------------------------------------------------------- start

function firstSource(tools: ToolStatus[]): { source: string; title: string } {
  try {
    const saved = JSON.parse(sessionStorage.getItem("studio.log") ?? "null") as {
      source?: unknown;
      title?: unknown;
    } | null;
    if (saved && typeof saved.source === "string" && typeof saved.title === "string")
      return { source: saved.source, title: saved.title };
  } catch {
    // Nothing saved.
  }
  const mine = tools.find((tool) => tool.running && tool.owner === me.artist);
  const pick = mine ?? tools.find((tool) => tool.running) ?? tools[0];
  return pick
    ? { source: pick.tool_id, title: `${pick.name} log` }
    : { source: "admin", title: "Newest admin job" };
}

const initialTools = readJson<ToolStatus[]>("initial-tools", []);
roster.take({ users: readJson<UserEntry[]>("initial-users", []), warnings: [] });
showTools(initialTools);
applyMe({ ...me });
// Sent here on the way into a tool (no name picked yet, or a login): go on once there is an artist.
goOnIfReady(me.artist);
const first = firstSource(initialTools);
follow(first.source, first.title);
toolsPoller.start();
jobsPoller.start();
roster.start();
pod.start();
system.start();
window.setInterval(() => {
  toolsView.tick();
  pod.tick();
  if (me.adminMode) jobsView.tick();
}, 1000);
