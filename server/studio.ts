/**
 * One studio: the users, tools, jobs and logs of one configuration, started and stopped together.
 *
 * ```ts
 * const studio = await createStudio(loadConfig(), { logger });
 * const app = createApp(studio);
 * ```
 */
import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { JobRunner } from "./jobs/runner.js";
import { LogStore } from "./logs/logfile.js";
import { ModelService } from "./models/service.js";
import { ToolManager } from "./tools/manager.js";
import type { SupervisorSettings } from "./tools/supervisor.js";
import { UserStore } from "./users/store.js";
import { sessionSecret } from "./http/session.js";

export interface StudioOptions {
  logger: Logger;
  settings?: Partial<SupervisorSettings>;
  /** Milliseconds between a users file change and its reload. */
  usersDebounceMs?: number;
}

export interface Studio {
  config: Config;
  logger: Logger;
  users: UserStore;
  tools: ToolManager;
  jobs: JobRunner;
  logs: LogStore;
  models: ModelService;
  sessionSecret: string;
  /** Warnings raised while running (bad session files, ...), newest last. */
  events: string[];
  warnings(): string[];
  close(): Promise<void>;
}

export async function createStudio(config: Config, options: StudioOptions): Promise<Studio> {
  const { logger } = options;
  const logs = new LogStore(path.join(config.stateDir, "logs"), config.logMaxBytes);
  const users = new UserStore({
    file: config.usersFile,
    outputRoot: path.join(config.workspaceDir, "ComfyUI", "output"),
    logger,
    debounceMs: options.usersDebounceMs,
  });
  const secret = await sessionSecret(config.stateDir, config.secrets.sessionSecret);
  const tools = new ToolManager({ config, logs, logger, settings: options.settings, sessionSecret: secret });
  const jobs = new JobRunner({ config, logs, logger });
  const models = new ModelService({ config, logger });
  await users.start();
  await tools.load();
  await jobs.load();
  await models.sets();
  const events: string[] = [];

  return {
    config,
    logger,
    users,
    tools,
    jobs,
    logs,
    models,
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
        ...tools.warnings,
        ...jobs.warnings,
        ...models.warnings,
        ...events.slice(-20),
      ];
    },
    async close() {
      await users.stop();
      await jobs.close();
      await tools.close();
    },
  };
}
