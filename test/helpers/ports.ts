import net from "node:net";

const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
  });
}

/** Ports below the kernel's ephemeral range, split into one block per test worker. */
const FIRST_PORT = 20_000;
const BLOCK = 2_000;
const BLOCKS = 6;
/** This worker's block (vitest numbers its workers from 1 in VITEST_POOL_ID). */
const block = (Math.max(1, Number(process.env.VITEST_POOL_ID ?? "1")) - 1) % BLOCKS;

/**
 * A TCP port that nothing listens on right now and that this process has not handed out before: picked at
 * random in this worker's own block below the kernel's ephemeral range, so parallel test files never meet
 * and the kernel never gives it to an outgoing connection (tools' internal ports come from the kernel, above).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = FIRST_PORT + block * BLOCK + Math.floor(Math.random() * BLOCK);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canBind(port)) return port;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function isListening(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
