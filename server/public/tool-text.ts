/**
 * What a tool card says, as pure functions of the tool's status, who is looking and the time: its badge,
 * why it cannot start, who is in it, which GPU is whose, and when it stops for being idle.
 */
import { capitalize, duration, listOf, since } from "./format.js";
import type { Job, Me, ToolState, ToolStatus } from "./types.js";

const STATE_LABEL: Record<ToolState, string> = {
  stopped: "Stopped",
  starting: "Starting",
  running: "Running",
  stopping: "Stopping…",
  crashed: "Crashed",
};

/** An idle stop is warned of this long before it comes (or half the idle time, when that is shorter). */
export const IDLE_WARNING_MS = 5 * 60_000;

const past = (action: string) => action.replace(/e?$/, "ed");
const ing = (action: string) => action.replace(/e?$/, "ing");

export const isActive = (tool: ToolStatus) =>
  tool.state === "starting" || tool.state === "running" || tool.state === "stopping";

export function crashCause(tool: ToolStatus): string {
  if (tool.exit_code !== null) return `Exit code ${tool.exit_code}`;
  if (tool.signal) return `Ended by signal ${tool.signal}`;
  return "The process ended without an exit code the studio could see.";
}

/** The state the card shows: a job under way or a missing install count before "stopped". */
export function shownState(tool: ToolStatus, job: Job | undefined): string {
  if (isActive(tool)) return tool.state;
  if (job) return job.status === "queued" ? "queued" : "installing";
  return tool.installed ? tool.state : "not-installed";
}

export function badgeText(tool: ToolStatus, job: Job | undefined, now: number): string {
  const shown = shownState(tool, job);
  if (shown === "queued") return `${capitalize(job!.action)} queued`;
  if (shown === "installing") return `${capitalize(ing(job!.action))}…`;
  if (shown === "not-installed") return "Not installed";
  const elapsed = since(tool.started_at, now);
  if (tool.state === "starting" && elapsed !== null) return `Starting · ${duration(elapsed)}`;
  return STATE_LABEL[tool.state];
}

/** Why Start is disabled, or null when it may be clicked. */
export function startProblem(tool: ToolStatus, me: Me, job: Job | undefined): string | null {
  if (job) {
    return job.status === "queued"
      ? `${capitalize(job.action)} queued (asked by ${job.requested_by}); start it when that job has run.`
      : `Being ${past(job.action)} by ${job.requested_by}; start it when that finishes.`;
  }
  if (!tool.installed) {
    return me.adminMode && !tool.install_hint?.includes("start script")
      ? "Not installed yet: install it in the admin panel."
      : (tool.install_hint ?? "Not installed yet: ask an admin to install it.");
  }
  if (tool.admin_only && !me.isAdmin) return `${tool.name} is for admins only on this studio.`;
  if (!me.artist) return "Pick your name at the top of the page to start it.";
  return null;
}

const you = (name: string, me: Me) => (name === me.artist ? "you" : name);

/** "Rosa and Karlo are in ComfyUI", with "You" for the one looking. */
export function presenceText(tool: ToolStatus, me: Me): string {
  const names = tool.active_artists ?? [];
  if (names.length === 0 || !isActive(tool)) return "";
  const mine = names.includes(me.artist ?? "\0");
  const ordered = mine ? [me.artist!, ...names.filter((name) => name !== me.artist)] : names;
  const list = capitalize(listOf(ordered.map((name) => you(name, me))));
  return `${list} ${ordered.length === 1 && !mine ? "is" : "are"} in ${tool.name}.`;
}

/** One line per ComfyUI instance: its GPU, state, who started it, who shares it; `mine` marks one's own. */
export function instanceLines(tool: ToolStatus, me: Me): { key: string; text: string; mine: boolean }[] {
  const instances = tool.instances ?? [];
  if (instances.length < 2) return [];
  return instances.map((instance, index) => {
    const mine = me.artist !== null && (instance.owner === me.artist || instance.artists.includes(me.artist));
    const gpu = instance.gpu === null ? `Instance ${index + 1}` : `GPU ${instance.gpu}`;
    const people = [
      ...new Set([instance.owner, ...instance.artists].filter((name): name is string => !!name)),
    ];
    const others = people.filter((name) => name !== me.artist);
    let text = `${gpu}: ${instance.state}`;
    if (mine) text += others.length > 0 ? ` · yours, shared with ${listOf(others)}` : " · yours";
    else if (people.length > 0) text += ` · ${listOf(people)}`;
    return { key: String(instance.gpu ?? `i${index}`), text, mine };
  });
}

/** Whether `me` is one of the tool's artists (started it, works in it, or was sent to one of its GPUs). */
export function isToolArtist(tool: ToolStatus, me: Me): boolean {
  if (me.artist === null) return false;
  if (tool.owner === me.artist || (tool.active_artists ?? []).includes(me.artist)) return true;
  return (tool.instances ?? []).some((i) => i.owner === me.artist || i.artists.includes(me.artist!));
}

/** The idle-stop warning for the tool's artists, from 5 minutes (or half the idle time) before. */
export function idleWarning(tool: ToolStatus, me: Me, now: number): string | null {
  if (!tool.idle_stop_at || tool.state !== "running" || !isToolArtist(tool, me)) return null;
  const stopAt = Date.parse(tool.idle_stop_at);
  if (Number.isNaN(stopAt)) return null;
  const from = Date.parse(tool.last_activity_at ?? tool.started_at ?? "");
  const idleMs = Number.isNaN(from) ? IDLE_WARNING_MS * 2 : stopAt - from;
  const left = stopAt - now;
  if (left > Math.min(IDLE_WARNING_MS, idleMs / 2)) return null;
  return left > 0
    ? `${tool.name} stops in ${duration(left)}: nobody has used it for a while.`
    : `${tool.name} is being stopped: nobody used it for a while.`;
}

/** The line under the actions: who uses it and what the looker may do. */
export function usageNote(tool: ToolStatus, me: Me): string {
  const mine = me.artist !== null && tool.owner === me.artist;
  if (!isActive(tool) || !tool.owner || mine) {
    return tool.state === "starting" ? "Getting ready; Open appears when it answers." : "";
  }
  if (tool.state === "stopping") return `Being stopped. It was in use by ${tool.owner}.`;
  return me.adminMode
    ? `In use by ${tool.owner}. You may stop it as an admin.`
    : `In use by ${tool.owner}. You can open it too; only ${tool.owner} or an admin can stop it.`;
}

/** "Started by you (Rosa) · running for 5 min", "last used 2 min ago", a crash's time. */
export function detailText(tool: ToolStatus, me: Me, now: number): string {
  const owner =
    tool.owner === me.artist && me.artist !== null ? `you (${tool.owner})` : (tool.owner ?? "someone");
  const elapsed = since(tool.started_at, now);
  switch (tool.state) {
    case "running": {
      const used = since(tool.last_activity_at, now);
      const parts = [`Started by ${owner}`];
      if (elapsed !== null) parts.push(`running for ${duration(elapsed)}`);
      if (used !== null && (tool.active_artists ?? []).length === 0)
        parts.push(`last used ${duration(used)} ago`);
      return parts.join(" · ");
    }
    case "starting":
      return `Started by ${owner}`;
    case "stopping":
      return tool.message ?? `Stopping; it was started by ${owner}.`;
    case "stopped":
      return tool.message ?? "";
    case "crashed": {
      const ago = since(tool.ended_at, now);
      return ago !== null
        ? `Crashed ${duration(ago)} ago${tool.owner ? ` (started by ${tool.owner})` : ""}`
        : "";
    }
  }
}
