/**
 * Starts the LoRA-Tool: reads its settings from the environment, listens on LISTEN_HOST:PORT, and on SIGTERM
 * or SIGINT stops cleanly (the kit's stop ladder): it stops listening, cancels auto-caption runs, lets requests
 * in flight finish for at most DRAIN_MS (3 s), then closes what is left and exits 0.
 *
 * Environment: PORT (default 3000), LISTEN_HOST (default 127.0.0.1: behind the studio's gateway the tool is
 * reached through the studio only), WORKSPACE_DIR, STATE_DIR (default $WORKSPACE_DIR/.comfystudio),
 * STUDIO_USER (who started it, for the log). A bad value exits 2 with a line naming the variable.
 */
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { answerClientErrors } from "@comfystudio/kit/answers";
import {
  ConfigError,
  ensureDirectory,
  readDirectory,
  readHost,
  readPort,
  type Env,
} from "@comfystudio/kit/env";
import { DRAIN_MS, drainable, onStopSignals } from "@comfystudio/kit/shutdown";
import { pino } from "pino";
import { createLoraApp } from "./app.js";
import { locateAssets } from "./locate.js";

const logger = pino({
  name: "lora-tool",
  redact: {
    paths: ["api_key", "*.api_key", "headers.authorization", "req.headers.authorization"],
    censor: "[redacted]",
  },
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function readSettings(env: Env) {
  const port = readPort(env, "PORT", 3000);
  const host = readHost(env, "LISTEN_HOST", "127.0.0.1");
  const workspaceDir = readDirectory(env, "WORKSPACE_DIR", {
    fallback: existsSync("/workspace") ? "/workspace" : path.join(repoRoot, "workspace"),
  });
  const stateDir = readDirectory(env, "STATE_DIR", { fallback: path.join(workspaceDir, ".comfystudio") });
  // The folders the tool writes in, made now so a volume it cannot write to is named at the start.
  ensureDirectory("WORKSPACE_DIR", path.join(workspaceDir, "datasets"));
  ensureDirectory("STATE_DIR", path.join(stateDir, "lora-tool"), 0o700);
  return { port, host, workspaceDir, stateDir };
}

let settings: ReturnType<typeof readSettings>;
try {
  settings = readSettings(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`LoRA-Tool: invalid configuration: ${error.message}\n`);
  process.exit(2);
}
const { port, host, workspaceDir, stateDir } = settings;
const pidFile = path.join(stateDir, "lora-tool", "server.pid");

// Uploads cut short by an earlier stop leave temp files behind; none can be in progress now.
await rm(path.join(workspaceDir, "datasets", ".uploads"), { recursive: true, force: true });

if (!existsSync(path.join(locateAssets().scriptDir, "app.js"))) {
  logger.warn("The page script is not built (dist/lora-tool/browser/public/app.js); run `npm run build`.");
}

const lora = createLoraApp({ workspaceDir, stateDir, logger });
const { app } = lora;
const shutdown = () => lora.shutdown();
const server = app.listen(port, host, () => {
  logger.info(
    { host, port, workspace_dir: workspaceDir, state_dir: stateDir, user: process.env.STUDIO_USER },
    "LoRA-Tool listening",
  );
  void writeFile(pidFile, `${process.pid}\n`).catch(() => undefined);
});
server.on("error", (error) => {
  logger.fatal(`LoRA-Tool: cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});
answerClientErrors(server);
const drain = drainable(server);

onStopSignals(async (signal) => {
  logger.info({ signal, drain_ms: DRAIN_MS }, "LoRA-Tool stopping");
  const inTime = await drain({ alongside: [shutdown()] });
  if (!inTime) logger.warn({ drain_ms: DRAIN_MS }, "requests still running were cut off");
  await rm(pidFile, { force: true });
  logger.info("LoRA-Tool stopped");
  process.exit(0);
});
