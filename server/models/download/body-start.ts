/**
 * How a body writer begins (writer.ts, direct.ts): its `done` promise with the function that settles it,
 * and the run's signal wired to stop it, so a cancel ends the body at once and a body that ends unwires it.
 *
 * ```ts
 * const { done, settle } = settleable();
 * if (onAbort(signal, done, (error) => stop(error))) answer.read(sink); // false: it was cancelled already
 * ```
 */

export function settleable(): { done: Promise<void>; settle: (error?: Error) => void } {
  let settle: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  return { done, settle };
}

/** Calls `stop` with the signal's reason when it aborts, until `done` settles; false when it has already. */
export function onAbort(signal: AbortSignal, done: Promise<void>, stop: (error: Error) => void): boolean {
  const abort = (): void => stop(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  if (signal.aborted) {
    abort();
    return false;
  }
  signal.addEventListener("abort", abort, { once: true });
  void done.catch(() => undefined).finally(() => signal.removeEventListener("abort", abort));
  return true;
}
