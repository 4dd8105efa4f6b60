import type { Clock } from "@/server/downloads";

/**
 * Spaces one report's requests at least 1/rate seconds apart: a token bucket that holds one token.
 * The engine's own buckets (server/downloads/token-bucket.ts) are per host, set for the whole
 * process, and hold `rate` tokens, so after a slow page they let `rate` requests go at once; an API
 * that says "2 requests per second" often counts them in any half second. Waits are timers on the
 * engine's clock and end early (rejecting) when the signal aborts; nothing polls.
 */
export class RequestPacer {
  private nextAt = -Infinity;
  private readonly intervalMs: number;

  constructor(
    requestsPerSecond: number | undefined,
    private readonly clock: Clock,
  ) {
    this.intervalMs =
      requestsPerSecond && Number.isFinite(requestsPerSecond) && requestsPerSecond > 0
        ? 1000 / requestsPerSecond
        : 0;
  }

  /** Resolves when the next request may go, and counts it as gone. */
  async take(signal?: AbortSignal): Promise<void> {
    if (this.intervalMs === 0) return;
    const waitMs = this.nextAt - this.clock.now();
    if (waitMs > 0) await this.clock.sleep(Math.ceil(waitMs), signal);
    this.nextAt = this.clock.now() + this.intervalMs;
  }
}
