import type { Dispatcher } from "undici";

// Enough to keep the socket busy while the sink writes, small enough to bound
// memory at (global concurrency x this) in the worst case.
const HIGH_WATER_MARK = 64 * 1024;

export type ResponseHead = {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
};

type Controller = Dispatcher.DispatchController;

// A minimal undici dispatch handler instead of `undici.request`: it counts every
// byte that arrived (so "got N of M bytes" stays true even when the connection
// drops with data still buffered) and skips a Readable per response.
export class ResponseStream implements Dispatcher.DispatchHandler {
  received = 0;
  readonly head: Promise<ResponseHead>;

  private controller: Controller | null = null;
  private pendingAbort: Error | null = null;
  private resolveHead!: (head: ResponseHead) => void;
  private rejectHead!: (error: unknown) => void;
  private headSettled = false;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private discarding = false;
  private discardLimit = 0;

  constructor() {
    this.head = new Promise<ResponseHead>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    // The head promise may be rejected before anyone awaits it.
    this.head.catch(() => undefined);
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(
    _controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return;
    this.headSettled = true;
    this.resolveHead({ statusCode, headers });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.received += chunk.length;
    if (this.discarding) {
      if (this.received > this.discardLimit) controller.abort(new Error("discarded body too long"));
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.queuedBytes >= HIGH_WATER_MARK) controller.pause();
    this.notify();
  }

  onResponseEnd(): void {
    this.ended = true;
    this.notify();
  }

  onResponseError(_controller: Controller | null, error: Error): void {
    this.failure = error;
    if (!this.headSettled) {
      this.headSettled = true;
      this.rejectHead(error);
    }
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = null;
      wake();
    }
  }

  /**
   * The next chunk if one has arrived, null at the end of the body, undefined when it must be
   * waited for. Readers try this before `read()`: an await per chunk was a promise per chunk.
   */
  readReady(): Buffer | null | undefined {
    if (this.failure) throw this.failure;
    const chunk = this.queue.shift();
    if (chunk) {
      this.queuedBytes -= chunk.length;
      if (this.controller?.paused && this.queuedBytes < HIGH_WATER_MARK) this.controller.resume();
      return chunk;
    }
    return this.ended ? null : undefined;
  }

  // Resolves to null at the end of the body.
  async read(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.readReady();
      if (chunk !== undefined) return chunk;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /**
   * The start of an error body, for callers that must tell one refusal from another (an expired
   * session from a wrong password); the rest is discarded like any error body.
   */
  async readStart(limitBytes: number, drainLimitBytes: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let length = 0;
    try {
      while (length < limitBytes) {
        const chunk = await this.read();
        if (chunk === null) return Buffer.concat(parts);
        parts.push(chunk);
        length += chunk.length;
      }
      await this.discard(drainLimitBytes);
    } catch {
      // a body that breaks off still leaves its start to report
    }
    return Buffer.concat(parts).subarray(0, limitBytes);
  }

  // Reads a short error or redirect body to its end so the keep-alive
  // connection can serve the next request; a long one is cut off instead.
  async discard(limitBytes: number): Promise<void> {
    this.discarding = true;
    this.discardLimit = limitBytes;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (this.controller?.paused) this.controller.resume();
    if (this.received > limitBytes) this.abort(new Error("discarded body too long"));
    while (!this.ended && !this.failure) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  abort(reason: Error): void {
    if (this.ended || this.failure) return;
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }
}
