/**
 * An HTTP answer read straight off its connection: the status and headers, then the body handed to one
 * sink as views of the connection's read buffer. A view is valid only during the call (the sink copies what
 * it keeps), so the body costs no allocation per chunk. Bytes that arrive before a sink is attached are
 * copied and held, and the connection waits until one is.
 *
 * ```ts
 * const answer = await request(url, { method: "GET", headers, signal, headTimeoutMs: 60_000, pool });
 * if (answer.statusCode !== 206) answer.discard();
 * else answer.read({ data: (view) => copyOut(view), end: () => done(), fail: (error) => stop(error) });
 * ```
 */

/** Where a body goes. `data` returns false to pause the connection until `answer.resume()`. */
export interface BodySink {
  data(view: Buffer): boolean;
  end(): void;
  fail(error: Error): void;
}

/** What an answer may ask of its connection. */
export interface AnswerControl {
  pause(): void;
  resume(): void;
  destroy(error?: Error): void;
}

export class Answer {
  private sink?: BodySink;
  private held: Buffer[] = [];
  private state: "body" | "ended" | "failed" = "body";
  private error?: Error;

  constructor(
    readonly statusCode: number,
    /** Header names in lower case; a repeated header's values joined with ", ". */
    readonly headers: Readonly<Record<string, string>>,
    private readonly control: AnswerControl,
  ) {}

  /** Sends the body to `sink`: what is held first, then the rest as it arrives. Once only. */
  read(sink: BodySink): void {
    if (this.sink) throw new Error("the body of this answer is already being read");
    this.sink = sink;
    const held = this.held;
    this.held = [];
    let more = true;
    for (const chunk of held) more = sink.data(chunk) && more;
    if (this.state === "ended") sink.end();
    else if (this.state === "failed") sink.fail(this.error ?? new Error("the connection failed"));
    else if (more) this.control.resume();
  }

  /** Reads the body into nothing (a redirect's or an error's), so the connection can be used again. */
  discard(): void {
    this.read({ data: () => true, end: () => undefined, fail: () => undefined });
  }

  pause(): void {
    if (this.state === "body") this.control.pause();
  }

  resume(): void {
    if (this.state === "body") this.control.resume();
  }

  /** Closes the connection (the sink, if any, is told `error`); nothing once the body is complete. */
  destroy(error?: Error): void {
    if (this.state !== "body") return;
    this.control.destroy(error);
    this.failed(error ?? new Error("the answer was closed before its body was complete"));
  }

  // ---- the connection's side ----

  /** Body bytes from the connection; false asks it to pause. */
  received(view: Buffer): boolean {
    if (this.state !== "body") return false;
    if (this.sink) return this.sink.data(view);
    this.held.push(Buffer.from(view));
    return false;
  }

  /** The body is complete. */
  ended(): void {
    if (this.state !== "body") return;
    this.state = "ended";
    this.sink?.end();
  }

  /** The connection failed before the body was complete. */
  failed(error: Error): void {
    if (this.state !== "body") return;
    this.state = "failed";
    this.error = error;
    this.sink?.fail(error);
  }

  /** Whether the body has been read to its end. */
  get complete(): boolean {
    return this.state === "ended";
  }
}
