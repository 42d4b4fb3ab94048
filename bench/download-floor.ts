/**
 * The floor for (c) in bench/download.ts: the least a Node process can spend to put a file from one HTTP
 * connection on disk. One socket read into one buffer (`onread`), each read written at once with a blocking
 * write, no parsing beyond the end of the headers, no checks. Prints the same JSON line as download-child.
 *
 * ```sh
 * node dist/bench/download-floor.js --url http://127.0.0.1:8080/f.bin --dest /tmp/x/f.bin
 * ```
 */
import fs from "node:fs";
import net from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { url: { type: "string" }, dest: { type: "string" } } });
if (!values.url || !values.dest) {
  console.error("usage: download-floor --url URL --dest FILE");
  process.exit(2);
}
const url = new URL(values.url);
const fd = fs.openSync(values.dest, "w");
const buffer = Buffer.allocUnsafe(256 * 1024);
const cpuBefore = process.cpuUsage();
const started = performance.now();
let inBody = false;
let position = 0;
const socket = net.connect({
  host: url.hostname,
  port: Number(url.port),
  onread: {
    buffer,
    callback: (bytes) => {
      let from = 0;
      if (!inBody) {
        const end = buffer.subarray(0, bytes).indexOf("\r\n\r\n");
        if (end < 0) throw new Error("the headers did not fit in one read");
        from = end + 4;
        inBody = true;
      }
      for (let at = from; at < bytes;) {
        const written = fs.writeSync(fd, buffer, at, bytes - at, position);
        at += written;
        position += written;
      }
      return true;
    },
  },
});
socket.on("connect", () =>
  socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`),
);
socket.on("end", () => {
  fs.closeSync(fd);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(
    `${JSON.stringify({ ms, cpuSeconds: (cpu.user + cpu.system) / 1e6, sysSeconds: cpu.system / 1e6 })}\n`,
  );
});
