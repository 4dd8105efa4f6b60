import { logger } from "@/server/logger";
import { subscribeJobChanges } from "./progress";

/** Reads a job's progress: every product when `changed` is undefined, else only those. Null: the job is gone. */
export type TProgressRead = (changed: string[] | undefined) => Promise<unknown>;

export type TFeedTiming = { coalesceMs: number; heartbeatMs: number };

export type TFeedOptions = {
  timing?: TFeedTiming;
  /** whether a read shows the job finished: the feed then sends `end` and closes every stream */
  isFinal?: (progress: unknown) => boolean;
};

const DEFAULT_TIMING: TFeedTiming = { coalesceMs: 250, heartbeatMs: 15_000 };
const encoder = new TextEncoder();
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");
/** the browser closes its EventSource on it; without it, EventSource reconnects when the stream ends */
const END_EVENT = encoder.encode("event: end\ndata: {}\n\n");

function encodeSseEvent(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Chunks a viewer may leave unread before it is dropped: a stalled page of a busy job would
 * otherwise hold every update in memory (4 MB per 400 updates of 200 products) until its socket
 * died. Dropped, its EventSource reconnects and starts again from a snapshot.
 */
const MAX_UNREAD_CHUNKS = 64;

/** One browser watching a job: chunks wait until its own snapshot is out, so they never come first. */
class FeedViewer {
  /**
   * The number of the snapshot read this viewer starts from: reads numbered up to it are older than
   * its snapshot and never sent to it. Until its snapshot read starts, nothing is.
   */
  snapshotRead = Infinity;
  private held: Uint8Array[] | null = [];
  private isEnded = false;

  constructor(
    private readonly controller: ReadableStreamDefaultController<Uint8Array>,
    private readonly onEnd: (viewer: FeedViewer) => void,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.isEnded) return;
    if (this.held) this.held.push(chunk);
    else this.send(chunk);
  }

  /** Sends the viewer's snapshot, then whatever came in while it was being read. */
  open(snapshot: Uint8Array): void {
    if (this.isEnded || !this.held) return;
    const held = this.held;
    this.held = null;
    for (const chunk of [snapshot, ...held]) this.send(chunk);
  }

  end(last?: Uint8Array): void {
    this.finish(() => {
      if (last) this.controller.enqueue(last);
      this.controller.close();
    });
  }

  private send(chunk: Uint8Array): void {
    if (this.isEnded) return;
    // error() drops the queued chunks, close() would keep them
    if ((this.controller.desiredSize ?? 0) < -MAX_UNREAD_CHUNKS)
      return this.finish(() => this.controller.error(new Error("the viewer stopped reading")));
    try {
      this.controller.enqueue(chunk);
    } catch {
      this.end();
    }
  }

  private finish(closeStream: () => void): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.held = null;
    this.onEnd(this);
    try {
      closeStream();
    } catch {
      // the browser went away first
    }
  }
}

/**
 * The live progress of one job, shared by everyone watching it: what changed is read once per tick
 * and the same bytes go to every viewer. Each viewer reading for itself cost 12-22 ms per update at
 * 100,000 images, four times a second, times the number of open job pages. Snapshots are shared
 * too: viewers that arrive while one is being read wait for the next and share it, so 50 pages
 * opening at once cost two reads of the whole job, not 50 (they stalled the server 2.45 s).
 */
class JobFeed {
  readonly viewers = new Set<FeedViewer>();
  private readonly dirtyProducts = new Set<string>();
  private isDirty = false;
  private isAllDirty = false;
  private isReading = false;
  private readsStarted = 0;
  /** after failed reads, no new one before this time (ms since epoch) */
  private retryAt = 0;
  private failures = 0;
  private awaitingSnapshot: FeedViewer[] = [];
  private isSnapshotPending = false;
  private readonly unsubscribe: () => void;
  private readonly ticker: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    readonly jobId: string,
    private readonly read: TProgressRead,
    private readonly isFinal: (progress: unknown) => boolean,
    timing: TFeedTiming,
    private readonly onIdle: () => void,
  ) {
    this.unsubscribe = subscribeJobChanges(jobId, (change) => {
      for (const id of change.productIds) this.dirtyProducts.add(id);
      if (change.isAllProducts) this.isAllDirty = true;
      this.isDirty = true;
    });
    this.ticker = setInterval(() => void this.tick(), timing.coalesceMs);
    this.heartbeat = setInterval(() => this.broadcast(KEEP_ALIVE, Infinity), timing.heartbeatMs);
  }

  join(viewer: FeedViewer): void {
    this.viewers.add(viewer);
    this.awaitingSnapshot.push(viewer);
    if (this.isSnapshotPending) return;
    this.isSnapshotPending = true;
    // the viewers of one burst of requests join before the read starts and share it
    setImmediate(() => void this.readSnapshot());
  }

  leave(viewer: FeedViewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size > 0) return;
    this.unsubscribe();
    clearInterval(this.ticker);
    clearInterval(this.heartbeat);
    this.onIdle();
  }

  private broadcast(chunk: Uint8Array, readNumber: number): void {
    for (const viewer of this.viewers) if (readNumber > viewer.snapshotRead) viewer.push(chunk);
  }

  private async readSnapshot(): Promise<void> {
    const batch = this.awaitingSnapshot.filter((viewer) => this.viewers.has(viewer));
    this.awaitingSnapshot = [];
    if (batch.length > 0) {
      // a change published from here on is read after this snapshot and reaches these viewers
      const readNumber = ++this.readsStarted;
      for (const viewer of batch) viewer.snapshotRead = readNumber;
      try {
        const snapshot = await this.read(undefined);
        if (snapshot) {
          const chunk = encodeSseEvent("snapshot", snapshot);
          const isFinal = this.isFinal(snapshot);
          for (const viewer of batch) {
            viewer.open(chunk);
            if (isFinal) viewer.end(END_EVENT);
          }
        } else {
          const deleted = encodeSseEvent("deleted", { jobId: this.jobId });
          for (const viewer of batch) viewer.end(deleted);
        }
      } catch (error) {
        // the browser's EventSource reconnects and asks for a snapshot again
        logger.error({ jobId: this.jobId, err: error }, "could not read job progress");
        for (const viewer of batch) viewer.end();
      }
    }
    if (this.awaitingSnapshot.length > 0) setImmediate(() => void this.readSnapshot());
    else this.isSnapshotPending = false;
  }

  private async tick(): Promise<void> {
    if (!this.isDirty || this.isReading || Date.now() < this.retryAt) return;
    this.isReading = true;
    this.isDirty = false;
    const changed = this.isAllDirty ? undefined : [...this.dirtyProducts];
    const wasAllDirty = this.isAllDirty;
    this.isAllDirty = false;
    this.dirtyProducts.clear();
    const readNumber = ++this.readsStarted;
    try {
      const progress = await this.read(changed);
      this.failures = 0;
      if (progress) {
        this.broadcast(encodeSseEvent("progress", progress), readNumber);
        // those that got this read have seen the job end; later joiners end after their snapshot
        if (this.isFinal(progress)) {
          for (const viewer of [...this.viewers])
            if (readNumber > viewer.snapshotRead) viewer.end(END_EVENT);
        }
      } else {
        const deleted = encodeSseEvent("deleted", { jobId: this.jobId });
        for (const viewer of [...this.viewers]) viewer.end(deleted);
      }
    } catch (error) {
      // read again soon rather than leave these products stale, waiting longer each time
      for (const id of changed ?? []) this.dirtyProducts.add(id);
      this.isAllDirty ||= wasAllDirty;
      this.isDirty = true;
      this.failures++;
      this.retryAt = Date.now() + Math.min(250 * 2 ** (this.failures - 1), 30_000);
      logger.error(
        { jobId: this.jobId, err: error, failures: this.failures },
        "could not read job progress",
      );
    } finally {
      this.isReading = false;
    }
  }
}

const feeds = new Map<string, JobFeed>();

/**
 * A stream of server-sent events for one job: its whole state first (a snapshot), then the changes
 * from the job's shared feed, and `end` once the job is finished, after which the stream closes.
 * Joining before the snapshot is read means a change made during that read is sent after it
 * instead of being lost; counts are absolute, so a repeat is harmless.
 */
export function openJobFeedStream(
  jobId: string,
  read: TProgressRead,
  signal: AbortSignal,
  { timing = DEFAULT_TIMING, isFinal = () => false }: TFeedOptions = {},
): ReadableStream<Uint8Array> {
  let viewer: FeedViewer | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let feed = feeds.get(jobId);
      if (!feed) {
        const created = new JobFeed(jobId, read, isFinal, timing, () => {
          if (feeds.get(jobId) === created) feeds.delete(jobId);
        });
        feeds.set(jobId, created);
        feed = created;
      }
      const joined = feed;
      const onAbort = () => self.end();
      const self = new FeedViewer(controller, (v) => {
        signal.removeEventListener("abort", onAbort);
        joined.leave(v);
      });
      viewer = self;
      joined.join(self);
      if (signal.aborted) return self.end();
      signal.addEventListener("abort", onAbort, { once: true });
    },
    cancel() {
      viewer?.end();
    },
  });
}

/** How many viewers each watched job has. */
export function watchedJobs(): Map<string, number> {
  return new Map([...feeds].map(([jobId, feed]) => [jobId, feed.viewers.size]));
}
