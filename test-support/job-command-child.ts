// Another process for running-jobs.int.test.ts: runs two jobs (tracked as a worker tracks them)
// with the Redis command channel installed, and says on stdout when each is stopped.
import {
  createRedisCommandChannel,
  trackRunningJob,
  installJobCommandChannel,
} from "../server/jobs/running-jobs";

const [redisUrl, prefix] = process.argv.slice(2);
if (!redisUrl || !prefix) throw new Error("usage: REDIS_URL PREFIX");
const channel = createRedisCommandChannel({ redisUrl, prefix, onError: (e) => console.error(e) });
installJobCommandChannel(channel);
const shutdown = new AbortController();
for (const jobId of ["job-x", "job-y"]) {
  const running = trackRunningJob(jobId, shutdown.signal);
  running.signal.addEventListener("abort", () => {
    console.log(`aborted ${jobId}`);
    running.done();
  });
}
await channel.ready;
console.log("ready");
