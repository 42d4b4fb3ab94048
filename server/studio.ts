/**
 * One studio: the users, tools, jobs, logs, models and the tool gateway of one configuration, started and
 * stopped together.
 *
 * ```ts
 * const studio = await createStudio(loadConfig(), { logger });
 * const app = createApp(studio);
 * ```
 */
import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { Activity } from "./gateway/activity.js";
import { placeByComfyUser } from "./gateway/comfy-place.js";
import { ComfyUsers } from "./gateway/comfy-users.js";
import { Gateway } from "./gateway/gateway.js";
import { ApiKeys } from "./gateway/keys.js";
import { Tickets } from "./gateway/tickets.js";
import { createSessionStore, sessionSecret } from "./http/session.js";
import type { SessionStore } from "./http/session-store.js";
import { PodIdle } from "./idle/pod.js";
import { ToolIdle } from "./idle/tools.js";
import { AdminActions } from "./jobs/actions.js";
import { OldCopies } from "./jobs/old-copies.js";
import { JobRunner } from "./jobs/runner.js";
import { LogStore } from "./logs/logfile.js";
import { ModelService } from "./models/service.js";
import { ToolManager, type ToolSettings } from "./tools/manager.js";
import { ARTIST_OUTPUT_TOOL, TOOLS, type ToolId } from "./tools/registry.js";
import { ToolService } from "./tools/service.js";
import { UserStore } from "./users/store.js";
import { diskPaths, instancesFor } from "./system/instances.js";
import { resourceHint } from "./system/system.js";

export interface StudioOptions {
  logger: Logger;
  settings?: Partial<ToolSettings>;
  /** Milliseconds between a users file change and its reload. */
  usersDebounceMs?: number;
  /** Per tool, the GPU of each instance (see tools/manager.ts). */
  instances?: Partial<Record<ToolId, (number | null)[]>>;
  /** A tool that sends nothing for this long is cut off by the gateway. */
  upstreamIdleMs?: number;
  /** Whether installs check the volume's free space first (default true). */
  checkInstallSpace?: boolean;
}

export interface Studio {
  config: Config;
  logger: Logger;
  users: UserStore;
  manager: ToolManager;
  tools: ToolService;
  actions: AdminActions;
  oldCopies: OldCopies;
  jobs: JobRunner;
  logs: LogStore;
  models: ModelService;
  activity: Activity;
  sessions: SessionStore;
  tickets: Tickets;
  keys: ApiKeys;
  idle: ToolIdle;
  pod: PodIdle;
  /** The public tool ports (started by `gateway.start()`). */
  gateway: Gateway;
  sessionSecret: string;
  /** Warnings raised while running (bad session files, ...), newest last. */
  events: string[];
  warnings(): string[];
  close(): Promise<void>;
}

export async function createStudio(config: Config, options: StudioOptions): Promise<Studio> {
  const { logger } = options;
  const events: string[] = [];
  const logs = new LogStore(path.join(config.stateDir, "logs"), config.logMaxBytes);
  const users = new UserStore({
    file: config.usersFile,
    outputRoot: path.join(config.workspaceDir, ARTIST_OUTPUT_TOOL?.output?.root ?? "output"),
    logger,
    debounceMs: options.usersDebounceMs,
  });
  const secret = await sessionSecret(config.stateDir, config.secrets.sessionSecret);
  const sessions = await createSessionStore({
    stateDir: config.stateDir,
    secret,
    logger,
    onBadSession: (message) => events.push(message),
  });
  const usersTool = TOOLS.find((tool) => "usersFile" in tool);
  const comfyUsers =
    usersTool && "usersFile" in usersTool
      ? new ComfyUsers({
          file: path.join(config.workspaceDir, usersTool.usersFile),
          keep: path.join(config.stateDir, "comfy-users.json"),
          logger,
        })
      : null;
  const manager: ToolManager = new ToolManager({
    config,
    logs,
    logger,
    settings: options.settings,
    instances: options.instances ?? (await instancesFor(config)),
    beforeStart: async (tool, index) => {
      if (comfyUsers && tool.rewrites.includes("comfy-user")) await comfyUsers.prepare(users.names, index);
    },
    secret,
    explain: (_tool, gpu, tail): Promise<string | null> =>
      resourceHint(manager, tail, gpu, diskPaths(config)),
  });
  const activity = new Activity((toolId, at) => {
    for (const instance of manager.instances(toolId)) if (instance.isActive) instance.noteActivity(at);
  });
  const jobs = new JobRunner({ config, logs, logger });
  const tools = new ToolService(config, manager, jobs, activity);
  for (const tool of manager.tools)
    if (comfyUsers && tool.rewrites.includes("comfy-user")) placeByComfyUser(tools, tool, comfyUsers);
  const actions = new AdminActions(config, tools, jobs, options.checkInstallSpace ?? true);
  const oldCopies = new OldCopies(config, jobs);
  const models = new ModelService({ config, logger });
  const keys = new ApiKeys(path.join(config.stateDir, "api_keys.json"), logger);
  await users.start();
  await comfyUsers?.load();
  await manager.load();
  for (const tool of manager.tools) {
    for (const instance of manager.instances(tool.id))
      activity.restore(tool.id, instance.record.last_activity_at);
  }
  await jobs.load();
  await keys.load();
  await models.sets();
  const idle = new ToolIdle({ minutes: config.idleStopMinutes, tools, jobs, logger, secret });
  const pod = new PodIdle({
    minutes: config.idleStopPodMinutes,
    podId: config.runpodPodId,
    tools,
    jobs,
    logger,
  });
  tools.extras = (tool) => ({ idle_stop_at: idle.stopAt(tool) });
  idle.start();
  pod.start();
  const tickets = new Tickets();
  const gateway = new Gateway({
    config,
    users,
    tools,
    keys,
    tickets,
    activity,
    secret,
    comfyUsers,
    logger,
    upstreamIdleMs: options.upstreamIdleMs,
  });

  return {
    config,
    logger,
    users,
    manager,
    tools,
    actions,
    oldCopies,
    jobs,
    logs,
    models,
    activity,
    sessions,
    tickets,
    keys,
    idle,
    pod,
    gateway,
    sessionSecret: secret,
    events,
    warnings() {
      const list: string[] = [];
      if (!config.secrets.adminPassword) {
        list.push("ADMIN_PASSWORD is not set: anyone who picks an admin's name gets admin mode.");
      }
      if (!config.secrets.studioPassword && config.runpodPodId) {
        list.push("STUDIO_PASSWORD is not set: anyone who knows this pod's proxy URL can use the studio.");
      }
      if (users.users.length === 0) list.push("No users are listed: nobody can pick a name.");
      else if (users.admins.length === 0)
        list.push("No user is marked :admin: nobody can install or update tools.");
      return [
        ...list,
        ...users.warnings,
        ...manager.warnings,
        ...jobs.warnings,
        ...oldCopies.warnings,
        ...models.warnings,
        ...keys.warnings,
        ...gateway.warnings,
        ...pod.warnings,
        ...events.slice(-20),
      ];
    },
    async close() {
      idle.stop();
      pod.stop();
      activity.persistAll();
      await gateway.close();
      sessions.close();
      await users.stop();
      await jobs.close();
      await manager.close();
    },
  };
}
