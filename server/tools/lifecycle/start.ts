/**
 * Starting a tool instance: why it cannot start now, and the start sequence. The intent (run id and
 * internal port) is saved before anything is spawned, so a studio killed at any moment of a start finds
 * the run again by its marker; then the start script runs on a free loopback port, its exit is watched
 * and its readiness awaited.
 *
 * ```ts
 * startProblem(instance);            // "ComfyUI is not installed. ..." or null
 * start(instance, "Rosa Macak");     // { started: true }: the launch goes on in the background
 * ```
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { readableFileProblem as scriptProblem } from "@comfystudio/kit/paths";
import { conflict } from "../../util/errors.js";
import { childEnv } from "../env.js";
import { EMPTY_RECORD } from "../instance.js";
import { isInstalled, notInstalledMessage, outputRoot, scriptPath } from "../paths.js";
import { freeLoopbackPort } from "../readiness.js";
import { toolToken } from "../token.js";
import { watchForCrash } from "./crash.js";
import type { InstanceState } from "./state.js";
import { waitReady } from "./wait-ready.js";

/** Why the tool cannot start now, or null. */
export function startProblem(instance: InstanceState): string | null {
  const { tool, deps } = instance;
  if (instance.rec.state === "stopping")
    return `${tool.name} is stopping; start it again once it has stopped.`;
  if (!isInstalled(tool, deps.config)) return notInstalledMessage(tool);
  const script = scriptPath(tool, "start", deps.config.repoDir);
  const problem = scriptProblem(script);
  return problem ? `${tool.name} cannot start: its start script ${script} ${problem}.` : null;
}

/**
 * Starts the tool for `artist`, unless it already runs. Answers at once with `started: true` when this
 * call launched it; the launch goes on in the background and shows in the status.
 */
export function start(instance: InstanceState, artist: string): { started: boolean } {
  if (instance.rec.state === "starting" || instance.rec.state === "running") return { started: false };
  const problem = startProblem(instance);
  if (problem) throw conflict(problem);
  instance.run++;
  instance.ready = false;
  const run = instance.run;
  instance.update({
    ...EMPTY_RECORD,
    gpu: instance.deps.gpu,
    state: "starting",
    owner: artist,
    started_at: new Date().toISOString(),
    last_activity_at: new Date().toISOString(),
  });
  launch(instance, run, artist).catch((error: unknown) => {
    if (run !== instance.run) return;
    const message = `${instance.tool.name} could not be started: ${(error as Error).message}`;
    instance.deps.logger.error({ err: error, tool: instance.tool.id }, "tool launch failed");
    instance.note(message);
    instance.update({ state: "crashed", message, ended_at: new Date().toISOString() });
  });
  return { started: true };
}

/** What a launch writes before it spawns; a closing studio waits for it (see `detach`). */
async function prepare(instance: InstanceState, output: string | undefined): Promise<void> {
  const { deps } = instance;
  if (output) await fs.mkdir(output, { recursive: true });
  await fs.mkdir(path.dirname(deps.log.file), { recursive: true });
  await deps.beforeStart?.();
}

async function launch(instance: InstanceState, run: number, artist: string): Promise<void> {
  const { tool, deps, proc } = instance;
  const output = outputRoot(tool, deps.config.workspaceDir);
  const preparing = prepare(instance, output);
  instance.preparing = preparing.then(
    () => undefined,
    () => undefined,
  );
  await preparing;
  instance.preparing = undefined;
  if (run !== instance.run) return;
  const port = await freeLoopbackPort();
  // The intent first: a studio killed from here on finds this run again by its marker.
  instance.update({ ...proc.prepare(), internal_port: port });
  await deps.persist();
  if (run !== instance.run || instance.rec.state !== "starting") return;
  const where = deps.gpu === null ? "" : ` on GPU ${deps.gpu}`;
  instance.note(
    `starting ${tool.name} for ${artist}${where} (internal port ${port}, public port ${instance.publicPort})`,
  );
  const state = proc.start({
    script: scriptPath(tool, "start", deps.config.repoDir),
    cwd: deps.config.workspaceDir,
    env: {
      ...childEnv(deps.config, { user: artist, port, outputDir: output, gpu: deps.gpu }),
      ...(tool.upstreamToken && deps.secret
        ? { [tool.upstreamToken.env]: toolToken(deps.secret, tool.id) }
        : {}),
    },
    logFile: deps.log.file,
  });
  instance.update(state);
  void deps.persist();
  deps.logger.info({ tool: tool.id, pid: state.pid, owner: artist, port }, "tool started");
  watchForCrash(instance, run, proc.exited);
  await waitReady(instance, run);
}
