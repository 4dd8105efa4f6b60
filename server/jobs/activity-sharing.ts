import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  jobsWithActivity,
  readJobActivity,
  rememberRemoteActivity,
  ZJobActivity,
  type TJobActivity,
} from "./job-activity";
import { createRedisChannel } from "./redis-channel";

const ZReading = z.object({ from: z.string(), jobId: z.string(), activity: ZJobActivity });

/** Enough for the job page's list: it shows 20. */
const SHARED_IN_FLIGHT = 20;

/**
 * What each worker is downloading (the job page's in-flight list, rate and ETA) lives in the
 * worker's memory. In cluster mode every process publishes a reading of each job it runs once a
 * second over Redis, and one empty reading when the job leaves it; every process keeps the last
 * reading of jobs others run, so a web process shows a worker's downloads as its own.
 */
export function startActivitySharing(options: {
  redisUrl: string;
  prefix: string;
  onError: (error: unknown) => void;
  everyMs?: number;
}) {
  const self = randomUUID();
  const channel = createRedisChannel({
    redisUrl: options.redisUrl,
    channel: `${options.prefix}:job-activity`,
    parse: (raw) => ZReading.parse(raw),
    onError: options.onError,
  });
  channel.subscribe((reading) => {
    if (reading.from !== self) rememberRemoteActivity(reading.jobId, reading.activity);
  });
  let published = new Set<string>();
  const publish = (jobId: string, activity: TJobActivity) =>
    channel.publish({ from: self, jobId, activity }).catch(options.onError);
  const timer = setInterval(() => {
    const now = Date.now();
    const active = new Set(jobsWithActivity());
    for (const jobId of active) void publish(jobId, readJobActivity(jobId, SHARED_IN_FLIGHT, now));
    for (const jobId of published) {
      if (!active.has(jobId))
        void publish(jobId, { inFlight: [], inFlightCount: 0, imagesPerSecond: null, readAt: now });
    }
    published = active;
  }, options.everyMs ?? 1000);
  timer.unref();
  return {
    ready: channel.ready,
    async close() {
      clearInterval(timer);
      await channel.close();
    },
  };
}
