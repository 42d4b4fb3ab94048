/**
 * Starts the LoRA-Tool: reads PORT, WORKSPACE_DIR and STATE_DIR, listens on 0.0.0.0, and on SIGTERM
 * or SIGINT cancels auto-caption runs, closes the server and exits.
 */
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
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

function fail(message: string): never {
  logger.fatal(message);
  process.exit(1);
}

function readPort(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`PORT: "${value}" is not a port number (1-65535).`);
  return port;
}

function readDir(value: string | undefined, fallback: string): string {
  return path.resolve(value === undefined || value.trim() === "" ? fallback : value);
}

async function makeDir(variable: string, dir: string, mode?: number): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode });
  } catch (error) {
    fail(
      `${variable}: cannot create ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const port = readPort(process.env.PORT);
const workspaceDir = readDir(
  process.env.WORKSPACE_DIR,
  existsSync("/workspace") ? "/workspace" : path.join(repoRoot, "workspace"),
);
const stateDir = readDir(process.env.STATE_DIR, path.join(workspaceDir, ".comfystudio"));
const pidFile = path.join(stateDir, "lora-tool", "server.pid");

await makeDir("WORKSPACE_DIR", path.join(workspaceDir, "datasets"));
await makeDir("STATE_DIR", path.join(stateDir, "lora-tool"), 0o700);
// Uploads cut short by an earlier stop leave temp files behind; none can be in progress now.
await rm(path.join(workspaceDir, "datasets", ".uploads"), { recursive: true, force: true });

if (!existsSync(path.join(locateAssets().scriptDir, "app.js"))) {
  logger.warn("The page script is not built (dist/lora-tool/browser/public/app.js); run `npm run build`.");
}

const { app, shutdown } = createLoraApp({ workspaceDir, stateDir, logger });
const server = app.listen(port, "0.0.0.0", () => {
  logger.info(
    { port, workspace_dir: workspaceDir, state_dir: stateDir, user: process.env.STUDIO_USER },
    "LoRA-Tool listening",
  );
  void writeFile(pidFile, `${process.pid}\n`).catch(() => undefined);
});
server.on("error", (error) => fail(`Cannot listen on port ${port}: ${error.message}`));

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "LoRA-Tool stopping");
  const force = setTimeout(() => {
    server.closeAllConnections();
  }, 3000);
  force.unref();
  await shutdown();
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(pidFile, { force: true });
  logger.info("LoRA-Tool stopped");
  process.exit(0);
}

process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
