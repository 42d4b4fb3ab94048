/**
 * The download thread: one run of the downloader with an event loop of its own, so its blocking writes
 * (`writes: "sync"`) and its parsing never hold up the studio's requests. Started by `downloadSetsInThread`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { downloadSets } from "../downloader.js";
import { toPlain, type FromThread, type ThreadData, type ToThread } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("the download thread runs only as a worker thread");
const { sets, options } = workerData as ThreadData;
const controller = new AbortController();
const send = (message: FromThread): void => port.postMessage(message);

port.on("message", (message: ToThread) => {
  if (message.type === "abort") controller.abort();
});
try {
  const summary = await downloadSets(sets, {
    ...options,
    writes: "sync",
    signal: controller.signal,
    log: (line) => send({ type: "log", line }),
    onProgress: (progress) => send({ type: "progress", progress }),
  });
  send({ type: "done", summary });
} catch (error) {
  send({ type: "failed", error: toPlain(error) });
}
// The studio ends this thread once it has the result.
