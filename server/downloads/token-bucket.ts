import type { Clock } from "./clock";

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly burst: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: Clock,
  ) {
    this.burst = Math.max(1, ratePerSecond);
    this.tokens = this.burst;
    this.updatedAt = clock.now();
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }

  // Takes a token now, letting the balance go negative: each caller is told how
  // long its reserved slot is away, which queues callers FIFO in O(1).
  reserve(): number {
    if (this.unlimited) return 0;
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }

  refund(): void {
    if (this.unlimited) return;
    this.refill();
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  isFull(): boolean {
    if (this.unlimited) return true;
    this.refill();
    return this.tokens >= this.burst;
  }
}

const PRUNE_THRESHOLD = 1024;

export type HostBuckets = {
  take(host: string, signal?: AbortSignal): Promise<void> | undefined;
  size(): number;
};

export function createHostBuckets(options: {
  clock: Clock;
  ratePerSecondFor: (host: string) => number;
}): HostBuckets {
  const buckets = new Map<string, TokenBucket>();

  const pruneIdleBuckets = () => {
    for (const [host, bucket] of buckets) if (bucket.isFull()) buckets.delete(host);
  };

  return {
    size: () => buckets.size,
    // Returns undefined on the fast path so callers can skip an await per request.
    take(host, signal) {
      let bucket = buckets.get(host);
      if (!bucket) {
        if (buckets.size >= PRUNE_THRESHOLD) pruneIdleBuckets();
        bucket = new TokenBucket(options.ratePerSecondFor(host), options.clock);
        buckets.set(host, bucket);
      }
      const waitMs = bucket.reserve();
      if (waitMs === 0) return undefined;
      const reserved = bucket;
      return options.clock.sleep(waitMs, signal).catch((error: unknown) => {
        reserved.refund();
        throw error;
      });
    },
  };
}
