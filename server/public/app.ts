/**
 * The studio page: the name picker and admin mode in the header, the tool cards, the output view and,
 * in admin mode, the admin panel. Everything refreshes by polling the JSON API; the page never reloads
 * itself (only logging out does).
 */
import { AdminTools, CustomNodesView, ModelsView } from "./admin.js";
import { ApiError, getJson, messageOf, postJson } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { byId, maybeId, setHidden, showError } from "./dom.js";
import { isPending, JobsView } from "./jobs.js";
import { Poller } from "./poller.js";
import { Terminal } from "./terminal.js";
import { ToolsView } from "./tools.js";
import type { Job, Me, ToolStatus } from "./types.js";

const body = document.body;
const me: Me = {
  artist: body.dataset.artist ? body.dataset.artist : null,
  isAdmin: body.dataset.admin === "true",
  adminMode: body.dataset.adminMode === "true",
};
const adminPasswordRequired = body.dataset.adminPassword === "true";
let jobs: Job[] = [];
/** Poll tools quickly until this time (after an action). */
let fastUntil = 0;

// ---------------------------------------------------------------- shared bits

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

function readInitialTools(): ToolStatus[] {
  const script = document.getElementById("initial-tools");
  try {
    const value: unknown = JSON.parse(script?.textContent ?? "[]");
    return Array.isArray(value) ? (value as ToolStatus[]) : [];
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- terminal

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

function follow(source: string, title: string): void {
  terminal.follow(source, title);
}

// ---------------------------------------------------------------- tools

const pendingJobs = () => jobs.filter(isPending);

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

const toolsPoller = new Poller(async () => {
  try {
    const answer = await getJson<{ tools: ToolStatus[] }>("/tools");
    connection.ok();
    toolsView.render(answer.tools);
    if (me.adminMode) adminTools.render(answer.tools);
  } catch (error) {
    connection.failed(error);
    return 3000;
  }
  return toolsView.busy || Date.now() < fastUntil ? 500 : 1500;
});

// ---------------------------------------------------------------- jobs, nodes, models

const jobsView: JobsView = new JobsView(byId("jobs", HTMLOListElement), byId("jobs-empty", HTMLElement), {
  toolName: (id) => toolsView.name(id),
  follow,
  changed: () => jobsPoller.now(),
  adminMode: () => me.adminMode,
});

const nodesView = new CustomNodesView(
  {
    list: byId("nodes", HTMLUListElement),
    summary: byId("nodes-summary", HTMLElement),
    install: byId("nodes-install", HTMLButtonElement),
    update: byId("nodes-update", HTMLButtonElement),
    error: byId("nodes-error", HTMLElement),
  },
  adminHooks,
);

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
const jobsPoller = new Poller(async () => {
  try {
    const answer = await getJson<{ jobs: Job[] }>("/jobs");
    jobs = answer.jobs;
    showError(jobsError, null);
  } catch (error) {
    showError(jobsError, `The job list could not be read: ${messageOf(error)}`);
    return 4000;
  }
  toolsView.refresh();
  const pending = jobs.some(isPending);
  if (me.adminMode) {
    jobsView.render(jobs);
    adminTools.render(toolsView.tools);
    modelsView.syncJobs(jobs);
    const nodesPending = jobs.some((job) => job.kind === "custom_nodes" && isPending(job));
    if (nodesJobPending && !nodesPending) void nodesView.load();
    nodesJobPending = nodesPending;
    if (modelsView.isDownloading) {
      await modelsView.pollProgress();
      return 1000;
    }
    return pending ? 1000 : 2500;
  }
  return pending ? 2500 : 6000;
});

// ---------------------------------------------------------------- header: name, admin mode, log out

const artistSelect = byId("artist", HTMLSelectElement);
const artistError = byId("artist-error", HTMLElement);
const adminSwitch = byId("admin-switch", HTMLElement);
const adminCheckbox = byId("admin-mode", HTMLInputElement);
const adminError = byId("admin-error", HTMLElement);
const adminPanel = byId("admin-panel", HTMLElement);
const pickHint = byId("pick-hint", HTMLElement);

/** Whether the admin panel's lists were read since admin mode went on. */
let adminListsLoaded = false;

function applyMe(next: Me): void {
  Object.assign(me, next);
  body.dataset.artist = me.artist ?? "";
  body.dataset.admin = String(me.isAdmin);
  body.dataset.adminMode = String(me.adminMode);
  setHidden(adminSwitch, !me.isAdmin);
  adminCheckbox.checked = me.adminMode;
  setHidden(adminPanel, !me.adminMode);
  setHidden(pickHint, me.artist !== null);
  if (me.artist !== null) {
    const placeholder = artistSelect.querySelector<HTMLOptionElement>('option[value=""]');
    if (placeholder) placeholder.disabled = true;
  }
  terminal.updateAdminMode(me.adminMode);
  toolsView.refresh();
  if (me.adminMode) {
    adminTools.render(toolsView.tools);
    jobsView.render(jobs);
    if (!adminListsLoaded) {
      adminListsLoaded = true;
      void nodesView.load();
      void modelsView.load();
    }
  } else {
    adminListsLoaded = false;
  }
  jobsPoller.now();
}

byId("artist-form", HTMLFormElement).addEventListener("submit", (event) => event.preventDefault());
artistSelect.addEventListener("change", () => void pickArtist());
async function pickArtist(): Promise<void> {
  const chosen = artistSelect.value;
  const previous = me.artist;
  if (!chosen) return;
  showError(artistError, null);
  artistSelect.setAttribute("aria-busy", "true");
  try {
    const answer = await postJson<{ artist: string; is_admin: boolean; admin_mode?: boolean }>(
      "/set_artist",
      { artist: chosen },
    );
    applyMe({ artist: answer.artist, isAdmin: answer.is_admin, adminMode: answer.admin_mode === true });
    if (artistSelect.value !== answer.artist) artistSelect.value = answer.artist;
    announce(`You are ${answer.artist}${answer.is_admin ? ", an admin" : ""}.`);
  } catch (error) {
    artistSelect.value = previous ?? "";
    showError(artistError, `Your name could not be set: ${messageOf(error)}`);
  } finally {
    artistSelect.removeAttribute("aria-busy");
  }
}

async function setAdminMode(on: boolean, password?: string): Promise<void> {
  const payload: Record<string, unknown> = { admin_mode: on };
  if (password !== undefined) payload.password = password;
  const answer = await postJson<{ artist: string | null; is_admin: boolean; admin_mode: boolean }>(
    "/set_admin_mode",
    payload,
  );
  applyMe({
    artist: answer.artist ?? me.artist,
    isAdmin: answer.is_admin ?? me.isAdmin,
    adminMode: answer.admin_mode === true,
  });
  announce(answer.admin_mode ? "Admin mode is on." : "Admin mode is off.");
}

const adminDialog = byId("admin-dialog", HTMLDialogElement);
const adminDialogForm = byId("admin-dialog-form", HTMLFormElement);
const adminPassword = byId("admin-password", HTMLInputElement);
const adminDialogError = byId("admin-dialog-error", HTMLElement);
const adminUser = byId("admin-user", HTMLInputElement);

adminCheckbox.addEventListener("change", () => {
  const wanted = adminCheckbox.checked;
  showError(adminError, null);
  // The switch shows the studio's answer, not the click.
  adminCheckbox.checked = me.adminMode;
  if (wanted && adminPasswordRequired) {
    adminPassword.value = "";
    adminUser.value = me.artist ?? "";
    showError(adminDialogError, null);
    adminDialog.showModal();
    adminPassword.focus();
    return;
  }
  adminCheckbox.disabled = true;
  setAdminMode(wanted)
    .catch((error: unknown) => showError(adminError, messageOf(error)))
    .finally(() => {
      adminCheckbox.disabled = false;
      adminCheckbox.focus();
    });
});

adminDialogForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const submit = adminDialogForm.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (submit) submit.disabled = true;
  showError(adminDialogError, null);
  setAdminMode(true, adminPassword.value)
    .then(() => {
      adminPassword.value = "";
      adminDialog.close();
      adminCheckbox.focus();
    })
    .catch((error: unknown) => {
      showError(adminDialogError, messageOf(error));
      adminPassword.select();
    })
    .finally(() => {
      if (submit) submit.disabled = false;
    });
});
byId("admin-dialog-cancel", HTMLButtonElement).addEventListener("click", () => adminDialog.close());
adminDialog.addEventListener("close", () => {
  adminPassword.value = "";
  adminCheckbox.focus();
});

const logout = maybeId("logout", HTMLButtonElement);
logout?.addEventListener("click", () => {
  const error = byId("logout-error", HTMLElement);
  showError(error, null);
  logout.disabled = true;
  postJson("/logout")
    .then(() => location.reload())
    .catch((failure: unknown) => {
      showError(error, `Logging out failed: ${messageOf(failure)}`);
      logout.disabled = false;
    });
});

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

const initialTools = readInitialTools();
toolsView.render(initialTools);
applyMe({ ...me });
const first = firstSource(initialTools);
follow(first.source, first.title);
toolsPoller.start();
jobsPoller.start();
window.setInterval(() => {
  toolsView.tick();
  if (me.adminMode) jobsView.tick();
}, 1000);
