/**
 * What an image batch's worker is doing right now, kept in the worker's memory: the downloads in
 * flight with their attempt and the wait before their next try, and how fast images finished of
 * late. The job page reads it with each update of its live feed: a few entries from memory, never
 * a query, so a 100,000-image job costs the same to watch as a small one. The rows in the database
 * stay the truth about each item; this is only what is not worth writing down.
 *
 * Kept by the process that runs the job; in cluster mode the worker publishes it every second over
 * Redis (./activity-sharing.ts), and a web process shows the last reading it received.
 */

import { z } from "zod";

export const ZDownloadInFlight = z.object({
  /** the claimed items this download is for (one URL may be filed under several products) */
  itemIds: z.array(z.string()),
  productId: z.string(),
  url: z.string(),
  /** 1 for the first try */
  attempt: z.number(),
  /** epoch ms when this attempt started */
  attemptStartedAt: z.number(),
  /** epoch ms of the next try while a failed attempt waits for it; null while one runs */
  retryAt: z.number().nullable(),
  /** why the previous attempt failed, in plain words */
  lastError: z.string().nullable(),
});
export type TDownloadInFlight = z.infer<typeof ZDownloadInFlight>;

/** A reading of a job's activity; other processes receive it as this schema checks it. */
export const ZJobActivity = z.object({
  /** the downloads that waited or ran longest first, at most `limit` of them */
  inFlight: z.array(ZDownloadInFlight),
  inFlightCount: z.number(),
  /** images finished per second over the recent window; null when there is too little to go on */
  imagesPerSecond: z.number().nullable(),
  /** epoch ms of this reading, so a browser can count down waits on its own clock */
  readAt: z.number(),
});
export type TJobActivity = z.infer<typeof ZJobActivity>;

/** Finishes older than this do not count towards the rate: a job slows down near its end. */
const RATE_WINDOW_MS = 60_000;
/** A rate from fewer finishes, or over less time, says little: no estimate then. */
const MIN_FINISHES_FOR_RATE = 5;
const MIN_RATE_SPAN_MS = 10_000;

type TJobRecord = {
  downloads: Set<TDownloadInFlight>;
  /** [epoch ms, images finished] per write of results, oldest first */
  finishes: [number, number][];
  /** since when this process has been watching the job finish images */
  watchedSince: number;
};

const globalForActivity = globalThis as unknown as {
  datahaulJobActivity?: Map<string, TJobRecord>;
};
const jobs = (globalForActivity.datahaulJobActivity ??= new Map());

function recordOf(jobId: string, now: number): TJobRecord {
  let record = jobs.get(jobId);
  if (!record) {
    record = { downloads: new Set(), finishes: [], watchedSince: now };
    jobs.set(jobId, record);
  }
  return record;
}

/** A download starts: the returned handle follows its attempts and ends it. */
export function trackDownload(
  jobId: string,
  download: { itemIds: string[]; productId: string; url: string },
  now = Date.now(),
) {
  const entry: TDownloadInFlight = {
    ...download,
    attempt: 1,
    attemptStartedAt: now,
    retryAt: null,
    lastError: null,
  };
  recordOf(jobId, now).downloads.add(entry);
  return {
    attemptStarts(attempt: number, at = Date.now()) {
      entry.attempt = attempt;
      entry.attemptStartedAt = at;
      entry.retryAt = null;
    },
    waitsForRetry(error: string, delayMs: number, at = Date.now()) {
      entry.lastError = error;
      entry.retryAt = at + delayMs;
    },
    ends() {
      jobs.get(jobId)?.downloads.delete(entry);
    },
  };
}

/** Images of the job that reached an outcome in one write of results. */
export function recordFinishedImages(jobId: string, count: number, now = Date.now()): void {
  if (count <= 0) return;
  const record = recordOf(jobId, now);
  record.finishes.push([now, count]);
  while (record.finishes.length > 0 && record.finishes[0]![0] < now - RATE_WINDOW_MS)
    record.finishes.shift();
}

/** Downloads in flight in this process, across its jobs (the System page's process list). */
export function countDownloadsInFlight(): number {
  let count = 0;
  for (const record of jobs.values()) count += record.downloads.size;
  return count;
}

/** The job's run in this process ended: nothing of it is in flight any more. */
export function forgetJobActivity(jobId: string): void {
  jobs.delete(jobId);
}

/** The jobs this process has downloads of in flight, or finished images of late. */
export function jobsWithActivity(): string[] {
  return [...jobs.keys()];
}

/** A reading another process published (activity-sharing.ts), kept until it is this old. */
const REMOTE_FRESH_MS = 5_000;
const globalForRemote = globalThis as unknown as {
  datahaulRemoteActivity?: Map<string, { activity: TJobActivity; receivedAt: number }>;
};
const remote = (globalForRemote.datahaulRemoteActivity ??= new Map());

/** What the worker running a job in another process published of it; an empty reading clears it. */
export function rememberRemoteActivity(
  jobId: string,
  activity: TJobActivity,
  receivedAt = Date.now(),
): void {
  if (activity.inFlightCount === 0 && activity.imagesPerSecond === null) remote.delete(jobId);
  else remote.set(jobId, { activity, receivedAt });
}

export function readJobActivity(jobId: string, limit = 20, now = Date.now()): TJobActivity {
  const record = jobs.get(jobId);
  if (!record) {
    // run by a worker elsewhere: its last reading, while it is recent
    const published = remote.get(jobId);
    if (published && now - published.receivedAt <= REMOTE_FRESH_MS)
      return { ...published.activity, inFlight: published.activity.inFlight.slice(0, limit) };
    return { inFlight: [], inFlightCount: 0, imagesPerSecond: null, readAt: now };
  }
  // a job that seems stuck is stuck on its slowest downloads: those waiting to try again, then
  // those on a later attempt, then the longest running
  const inFlight = [...record.downloads]
    .sort(
      (a, b) =>
        Number(b.retryAt !== null) - Number(a.retryAt !== null) ||
        b.attempt - a.attempt ||
        a.attemptStartedAt - b.attemptStartedAt,
    )
    .slice(0, limit)
    .map((entry) => ({ ...entry, itemIds: [...entry.itemIds] }));
  return {
    inFlight,
    inFlightCount: record.downloads.size,
    imagesPerSecond: recentRate(record, now),
    readAt: now,
  };
}

function recentRate(record: TJobRecord, now: number): number | null {
  const since = Math.max(record.watchedSince, now - RATE_WINDOW_MS);
  const span = now - since;
  let finished = 0;
  for (const [at, count] of record.finishes) if (at >= since) finished += count;
  if (span < MIN_RATE_SPAN_MS || finished < MIN_FINISHES_FOR_RATE) return null;
  return finished / (span / 1000);
}

/** Seconds until the job's remaining images are done at the recent rate; null without a rate. */
export function estimateSecondsLeft(
  remaining: number,
  imagesPerSecond: number | null,
): number | null {
  if (remaining <= 0 || !imagesPerSecond) return null;
  return Math.ceil(remaining / imagesPerSecond);
}
