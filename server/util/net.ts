import net from "node:net";
import type { LogFile } from "../logs/logfile.js";

/** Whether something accepts connections on 127.0.0.1:port. */
export function isPortTaken(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1", timeout: timeoutMs });
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

/** The last `count` lines of a log (from its last 16 KiB). */
export async function tailLines(log: LogFile, count: number): Promise<string> {
  const end = await log.end();
  const chunk = await log.read(Math.max(0, end - 16 * 1024));
  return chunk.content
    .split("\n")
    .filter((line) => line !== "")
    .slice(-count)
    .join("\n");
}
