/**
 * Crash reports: when the process of a starting or running tool instance ends unasked, the record says
 * how (exit code, signal, or unseen), with the end of its log and a hint of why (GPU memory, disk).
 *
 * ```ts
 * watchForCrash(instance, run, instance.proc.exited);
 * // later: { state: "crashed", message: "ComfyUI stopped unexpectedly while running: ...", log_tail }
 * ```
 */
import { tailLines } from "../../logs/tail.js";
import type { ExitInfo } from "../../process/spawn.js";
import type { InstanceState } from "./state.js";

/** Watches the process of run `run`; when it ends unasked, the tool has crashed. */
export function watchForCrash(
  instance: InstanceState,
  run: number,
  exited: Promise<ExitInfo> | undefined,
): void {
  void exited?.then(async (info) => {
    if (
      run !== instance.run ||
      instance.stopping ||
      !(instance.rec.state === "starting" || instance.rec.state === "running")
    )
      return;
    const how = !info.seen
      ? "its process ended while the studio was not watching (exit code unknown)"
      : info.signal
        ? `it was killed by ${info.signal}`
        : `it exited with code ${info.exitCode}`;
    const when = instance.rec.state === "starting" ? "while starting" : "while running";
    const message = `${instance.tool.name} stopped unexpectedly ${when}: ${how}.`;
    instance.note(message);
    const tail = await tailLines(instance.deps.log, 20);
    const hint = await instance.deps.explain?.(await tailLines(instance.deps.log, 200)).catch(() => null);
    instance.ready = false;
    instance.deps.logger.warn({ tool: instance.tool.id, exit: info }, "tool crashed");
    instance.update({
      state: "crashed",
      exit_code: info.exitCode,
      signal: info.signal,
      ended_at: new Date().toISOString(),
      message: hint ? `${message} ${hint}.` : message,
      log_tail: tail,
      pid: null,
    });
  });
}
