/**
 * Counting a WebSocket client's messages as activity, without touching the stream: the client's bytes are
 * also fed to ws's own frame parser, which tells data messages from pings, pongs and closes (a browser's
 * automatic pong is not a person). Compression is not negotiated through the gateway (the client's
 * Sec-WebSocket-Extensions is removed), so every frame can be read. A client message past 1 MiB, or
 * anything the parser cannot follow, ends the counting for that socket, not the socket.
 */
import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import * as ws from "ws";

interface ReceiverOptions {
  isServer: boolean;
  maxPayload: number;
  skipUTF8Validation: boolean;
}
/**
 * ws's frame parser: a named export of ws's ES module (not described by its types; the default export,
 * the WebSocket class, does not carry it there).
 */
const Receiver = (ws as unknown as { Receiver: new (options: ReceiverOptions) => Writable & EventEmitter })
  .Receiver;

export function countMessages(socket: Socket, onMessage: () => void): void {
  const receiver = new Receiver({ isServer: true, maxPayload: 1024 * 1024, skipUTF8Validation: true });
  let counting = true;
  const stop = () => {
    if (!counting) return;
    counting = false;
    socket.off("data", feed);
    receiver.removeAllListeners();
  };
  const feed = (chunk: Buffer) => {
    // A copy: the parser unmasks payloads in place, and the same bytes go on to the tool.
    if (counting) receiver.write(Buffer.from(chunk));
  };
  receiver.on("message", onMessage);
  receiver.on("error", stop);
  receiver.on("conclude", stop);
  socket.on("data", feed);
  socket.once("close", stop);
}
