// A worker process for bullmq-queue.int.test.ts: takes messages from one queue, says so on stdout
// ("started <payload>") and never finishes them, until the test kills it.
import { createBullmqQueue } from "../server/jobs/bullmq-queue";

const [redisUrl, prefix, name, lockDurationMs, stalledIntervalMs] = process.argv
  .slice(2)
  .map((arg) => arg ?? "");
if (!redisUrl || !prefix || !name)
  throw new Error("usage: REDIS_URL PREFIX QUEUE LOCK_MS STALLED_MS");
const queue = createBullmqQueue({
  redisUrl,
  prefix,
  lockDurationMs: Number(lockDurationMs),
  stalledIntervalMs: Number(stalledIntervalMs),
  onError: (_name, error) => console.error(error),
});
queue.consume<{ id: string }>(
  name,
  async ({ id }) => {
    console.log(`started ${id}`);
    await new Promise(() => undefined);
  },
  { concurrency: 1 },
);
console.log("consuming");
