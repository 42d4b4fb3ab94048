/**
 * The studio's entry: read the configuration (and the secrets file start_server.sh hands over), start the
 * studio and its tool gateway, listen, and shut down cleanly on SIGTERM or SIGINT (stop listening, let
 * requests finish, exit within 5 s). Tools keep running; the next start takes them back.
 */
import { createApp } from "./app.js";
import { SECRET_VARIABLES, takeSecretsFile, SECRETS_FILE_VARIABLE } from "./config/secrets.js";
import { ConfigError, loadConfig, publicConfig } from "./config.js";
import { answerClientErrors } from "./http/middleware.js";
import { createLogger } from "./logger.js";
import { createStudio } from "./studio.js";

const SHUTDOWN_MS = 5_000;

function configure() {
  try {
    const fromFile = takeSecretsFile(process.env);
    return loadConfig({ ...process.env, ...fromFile });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`comfystudio: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configure();
  // The secrets live in `config` from here on: no child process (a tool, a job, a helper the studio runs)
  // can inherit them from the studio's environment.
  for (const variable of [...SECRET_VARIABLES, SECRETS_FILE_VARIABLE]) delete process.env[variable];
  const logger = createLogger(config.logLevel);
  logger.info(
    {
      ...publicConfig(config),
      port: config.port,
      host: config.host,
      tool_ports: config.toolPorts,
      stop_grace_ms: config.stopGraceMs,
    },
    "configuration",
  );
  const studio = await createStudio(config, { logger });
  const app = createApp(studio);
  const server = app.listen(config.port, config.host);
  server.on("listening", () => {
    const shown = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    const url = config.runpodPodId
      ? `https://${config.runpodPodId}-${config.port}.proxy.runpod.net`
      : `http://${shown}:${config.port}`;
    logger.info({ url }, `the studio is ready: open ${url}`);
    // One plain line for a person at a terminal, beside the JSON log lines.
    process.stderr.write(`ComfyStudio is ready: open ${url}\n`);
  });
  server.on("error", (error) => {
    logger.fatal({ err: error }, `the studio cannot listen on ${config.host}:${config.port}`);
    process.exit(1);
  });
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server);
  await studio.gateway.start();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.warn("requests did not finish in time; exiting");
      process.exit(0);
    }, SHUTDOWN_MS - 500);
    force.unref();
    server.close(() => {
      void studio.close().finally(() => {
        logger.info("stopped");
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
}

void main().catch((error: unknown) => {
  process.stderr.write(`comfystudio: could not start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
