/**
 * One HTTP/1.1 connection (plain or TLS) that reads into a single buffer of its own (Node's `onread`), so
 * the bytes of a large body cost no allocation and no garbage: http-parser-js parses the answer in place
 * and the body goes to the answer's sink as views of that buffer. One request at a time; after an answer
 * that allows it, the connection is offered for another (`onIdle`).
 *
 * ```ts
 * const connection = new Connection(new URL("https://huggingface.co/"), {});
 * connection.send(url, "GET", { Range: "bytes=0-" }, { headTimeoutMs, signal, onHead, onError });
 * ```
 */
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { HTTPParser, type HeaderInfo } from "http-parser-js";
import { Answer } from "./answer.js";

/** Bytes read from the socket at most at once (TLS hands over one record, 16 KiB, at a time). */
const READ_BUFFER_BYTES = 256 * 1024;

export interface ConnectOptions {
  /** Certificates to trust instead of the usual ones (a test's own CA). */
  ca?: string | Buffer;
}

export interface Exchange {
  headTimeoutMs: number;
  signal: AbortSignal;
  onHead: (answer: Answer) => void;
  /** The request failed before an answer; `stale` when a kept-alive connection closed before any byte. */
  onError: (error: Error, stale: boolean) => void;
}

const seconds = (ms: number): number => Math.max(1, Math.round(ms / 1000));

export class Connection {
  readonly origin: string;
  /** Answers completed on this connection. */
  answered = 0;
  onIdle?: (connection: Connection) => void;
  onClose?: (connection: Connection) => void;
  private readonly socket: net.Socket;
  private readonly parser = new HTTPParser(HTTPParser.RESPONSE);
  private readonly host: string;
  private exchange?: Exchange & { method: string };
  private answer?: Answer;
  private interim = false;
  private keepAlive = false;
  private sawBytes = false;
  private pauseAsked = false;
  private closed = false;
  private unwatch = (): void => undefined;

  constructor(url: URL, options: ConnectOptions) {
    this.origin = url.origin;
    this.host = url.host;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const onread = { buffer, callback: (bytes: number) => this.onRead(buffer, bytes) };
    if (url.protocol === "https:") {
      // tls.connect takes net's `onread` too (its types do not say so).
      const secure: tls.ConnectionOptions & net.ConnectOpts = {
        host,
        port,
        ALPNProtocols: ["http/1.1"],
        onread,
      };
      if (options.ca) secure.ca = options.ca;
      if (!net.isIP(host)) secure.servername = host;
      this.socket = tls.connect(secure);
    } else {
      this.socket = net.connect({ host, port, onread });
    }
    this.socket.setNoDelay(true);
    this.parser[HTTPParser.kOnHeadersComplete] = (info) => this.onHead(info);
    this.parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
      if (this.answer && !this.answer.received(chunk.subarray(offset, offset + length)))
        this.pauseAsked = true;
    };
    this.parser[HTTPParser.kOnMessageComplete] = () => this.onComplete();
    this.socket.on("error", (error) => this.close(error));
    this.socket.on("end", () => this.onEnd());
    this.socket.on("close", () => this.close(new Error(`the connection to ${this.host} closed`)));
    this.socket.on("timeout", () => {
      const ms = this.exchange?.headTimeoutMs ?? 0;
      this.close(new Error(`no answer from ${this.host} for ${seconds(ms)} s`));
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a request for `url` (same origin); `onHead` gets the answer, `onError` a failure before one. */
  send(url: URL, method: "GET" | "HEAD", headers: Record<string, string>, exchange: Exchange): void {
    if (this.closed || this.exchange) throw new Error(`the connection to ${this.host} is not free`);
    const target = `${url.pathname}${url.search}`;
    if (!/^\/[\x21-\x7e]*$/.test(target))
      throw new Error(`cannot request the path ${JSON.stringify(target)}`);
    const lines = [`${method} ${target} HTTP/1.1`, `Host: ${url.host}`];
    for (const [name, value] of Object.entries(headers)) {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
      lines.push(`${name}: ${value}`);
    }
    this.exchange = { ...exchange, method };
    this.sawBytes = false;
    const onAbort = (): void => this.close(abortError(exchange.signal));
    if (exchange.signal.aborted) return onAbort();
    exchange.signal.addEventListener("abort", onAbort, { once: true });
    this.unwatch = () => exchange.signal.removeEventListener("abort", onAbort);
    this.socket.setTimeout(exchange.headTimeoutMs);
    this.socket.resume();
    this.socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  }

  /** Closes the connection; a request or body under way fails with `error`. */
  close(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    this.socket.destroy();
    const { exchange, answer } = this;
    this.exchange = undefined;
    this.answer = undefined;
    if (answer) answer.failed(error);
    else exchange?.onError(error, this.answered > 0 && !this.sawBytes);
    this.onClose?.(this);
  }

  /** Keeps the socket reading while idle, so that a close by the server is seen. */
  idle(): void {
    this.socket.setTimeout(0);
    this.socket.resume();
  }

  private onRead(buffer: Buffer, bytes: number): boolean {
    this.sawBytes = true;
    if (!this.exchange) {
      this.close(new Error(`${this.host} sent bytes nobody asked for`));
      return false;
    }
    this.pauseAsked = false;
    const result = this.parser.execute(buffer, 0, bytes);
    if (result instanceof Error) {
      this.close(new Error(`${this.host} sent a malformed answer (${result.message})`));
      return false;
    }
    // A connection whose answer completed in this read waits in the pool: it must go on reading.
    if (!this.exchange) return !this.closed;
    return !this.pauseAsked && !this.closed;
  }

  private onHead(info: HeaderInfo): number {
    const status = info.statusCode;
    if (status >= 100 && status < 200) {
      this.interim = true;
      return 1;
    }
    const exchange = this.exchange;
    if (!exchange || this.answer) {
      this.close(new Error(`${this.host} sent an answer nobody asked for`));
      return 1;
    }
    this.keepAlive = info.shouldKeepAlive;
    this.socket.setTimeout(0);
    const answer = new Answer(status, headerRecord(info.headers), {
      pause: () => this.socket.pause(),
      resume: () => this.socket.resume(),
      destroy: (error) => this.close(error ?? new Error("the answer was closed")),
    });
    this.answer = answer;
    exchange.onHead(answer);
    return exchange.method === "HEAD" || status === 204 || status === 304 ? 1 : 0;
  }

  private onComplete(): void {
    if (this.interim) {
      this.interim = false;
      return;
    }
    if (this.closed) return;
    const answer = this.answer;
    this.answer = undefined;
    this.exchange = undefined;
    this.unwatch();
    this.answered++;
    answer?.ended();
    if (this.closed) return; // the sink may have closed it
    if (this.keepAlive && this.onIdle) this.onIdle(this);
    else this.close(new Error(`the connection to ${this.host} closed`));
  }

  private onEnd(): void {
    // An answer without a length ends with the connection: the parser completes it.
    if (this.answer) this.parser.finish();
    const what = this.answer ? "before the answer was complete" : "without answering";
    this.close(new Error(`${this.host} closed the connection ${what}`));
  }
}

/** Header names in lower case, repeated headers joined with ", ". */
function headerRecord(raw: readonly string[]): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

function abortError(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}
