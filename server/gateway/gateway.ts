/**
 * The tool gateway: the studio listens on every tool's public port and forwards to the tools it runs on
 * loopback. A port held by another program when the studio starts is named in one line (on /debug and in
 * the log), never killed; the gateway takes the port as soon as it is free. A tool taken back from before
 * the gateway (it listens on its public port itself) keeps it until it stops.
 */
import http from "node:http";
import type { Socket } from "node:net";
import type { Config } from "../config.js";
import { portHolder } from "./holder.js";
import { ToolPort, type PortDeps } from "./port.js";
import { createForwarder, type Forwarder } from "./forward.js";

/** How often a public port held by someone else is tried again. */
export const RETRY_BIND_MS = 2_000;
/** A tool that sends nothing for this long is cut off (504). */
export const UPSTREAM_IDLE_MS = 5 * 60_000;

export interface GatewayOptions extends Omit<PortDeps, "forward"> {
  upstreamIdleMs?: number;
}

interface Listener {
  port: ToolPort;
  server: http.Server;
  listening: boolean;
  warning: string | null;
  retry?: NodeJS.Timeout;
}

export class Gateway {
  private readonly listeners: Listener[] = [];
  private readonly upgraded = new Set<Socket>();
  private closed = false;
  private readonly forwarder: Forwarder;

  constructor(private readonly options: GatewayOptions) {
    const forwarder = (this.forwarder = createForwarder({
      logger: options.logger,
      upstreamIdleMs: options.upstreamIdleMs ?? UPSTREAM_IDLE_MS,
    }));
    for (const tool of options.tools.manager.tools) {
      const port = new ToolPort(tool, options.config.toolPorts[tool.id as keyof Config["toolPorts"]], {
        ...options,
        forward: forwarder,
      });
      const server = http.createServer((req, res) => void port.handle(req, res));
      server.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
        // Upgraded sockets are not the server's connections any more: kept here so close() can end them.
        this.upgraded.add(socket);
        socket.once("close", () => this.upgraded.delete(socket));
        void port.upgrade(req, socket, head);
      });
      server.on("clientError", (_error, socket) => socket.destroy());
      server.keepAliveTimeout = 65_000;
      server.requestTimeout = 0;
      server.headersTimeout = 60_000;
      this.listeners.push({ port, server, listening: false, warning: null });
    }
  }

  /** Sentences for /debug: public ports held by another program. */
  get warnings(): string[] {
    return this.listeners.flatMap((listener) => (listener.warning ? [listener.warning] : []));
  }

  /** The public ports the gateway listens on now. */
  get ports(): number[] {
    return this.listeners.filter((listener) => listener.listening).map((listener) => listener.port.port);
  }

  async start(): Promise<void> {
    await Promise.all(this.listeners.map((listener) => this.bind(listener)));
  }

  private bind(listener: Listener): Promise<void> {
    const { port, server } = listener;
    return new Promise((resolve) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off("listening", onListening);
        void this.held(listener, error).finally(resolve);
      };
      const onListening = () => {
        server.off("error", onError);
        listener.listening = true;
        if (listener.warning)
          this.options.logger.info({ port: port.port, tool: port.tool.id }, "the gateway took its port back");
        listener.warning = null;
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(port.port, this.options.config.host);
    });
  }

  private async held(listener: Listener, error: NodeJS.ErrnoException): Promise<void> {
    const { port } = listener;
    const legacy = this.options.tools.manager
      .instances(port.tool.id)
      .some((instance) => instance.holdsPublicPort);
    const warning = legacy
      ? null
      : error.code === "EADDRINUSE"
        ? `Port ${port.port} of ${port.tool.name} is held by ${await portHolder(port.port)}; the studio does not stop it, and serves ${port.tool.name} there once the port is free.`
        : `The studio cannot listen on port ${port.port} of ${port.tool.name}: ${error.message}.`;
    if (warning && warning !== listener.warning)
      this.options.logger.warn({ port: port.port, tool: port.tool.id }, warning);
    listener.warning = warning;
    if (this.closed) return;
    listener.retry = setTimeout(() => void this.bind(listener), RETRY_BIND_MS);
    listener.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.forwarder.close();
    for (const socket of this.upgraded) socket.destroy();
    await Promise.all(
      this.listeners.map(async (listener) => {
        clearTimeout(listener.retry);
        if (!listener.listening) return;
        listener.server.closeAllConnections();
        await new Promise<void>((resolve) => listener.server.close(() => resolve()));
      }),
    );
  }
}
