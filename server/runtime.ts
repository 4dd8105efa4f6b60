import "server-only";
import path from "node:path";
import {
  createConnectorHttp,
  createSessionCache,
  type ConnectorHttp,
  type SessionCache,
} from "./connectors";
import {
  createDownloadEngine,
  readDownloadLimitsFromEnv,
  type DownloadEngine,
  type DownloadLimits,
} from "./downloads";
import { env } from "./env";
import { createBullmqQueue } from "./jobs/bullmq-queue";
import { createInProcessQueue } from "./jobs/in-process-queue";
import {
  createInProcessProgressBus,
  createRedisProgressBus,
  installProgressBus,
  type ProgressBus,
} from "./jobs/progress";
import {
  createInProcessCommandChannel,
  createRedisCommandChannel,
  installJobCommandChannel,
  type JobCommandChannel,
} from "./jobs/running-jobs";
import type { JobQueue } from "./jobs/queue";
import { logger } from "./logger";
import { createSecretBox, loadSecretKey, type SecretBox } from "./secrets/secret-box";
import type { BlobStore } from "./storage/blob-store";
import { createLocalBlobStore } from "./storage/local-blob-store";

/** The process-wide infrastructure services depend on; built once per process. */
export type TRuntime = {
  queue: JobQueue;
  /** job changes for the live pages; over Redis when the queue is */
  progress: ProgressBus;
  /** cancel and delete, to whichever process runs the job */
  jobCommands: JobCommandChannel;
  blobs: BlobStore;
  downloads: DownloadEngine;
  downloadLimits: DownloadLimits;
  secrets: SecretBox;
  connectorHttp: ConnectorHttp;
  /** signed-in sessions and tokens per connector, shared by every run in this process */
  connectorSessions: SessionCache;
  isWorker: boolean;
  startedAt: Date;
};

function createRuntime(): TRuntime {
  const downloadLimits = readDownloadLimitsFromEnv(env.raw);
  const blobs = createLocalBlobStore(env.dataDir);
  const downloads = createDownloadEngine(downloadLimits);
  const onQueueError = (name: string, error: unknown) =>
    logger.error({ queue: name, err: error }, "queue handler failed");
  const redis = env.redis;
  const onChannelError = (error: unknown) =>
    logger.error({ err: error }, "Redis progress or command channel failed");
  const progress = redis
    ? createRedisProgressBus({ redisUrl: redis.url, prefix: redis.prefix, onError: onChannelError })
    : createInProcessProgressBus();
  const jobCommands = redis
    ? createRedisCommandChannel({
        redisUrl: redis.url,
        prefix: redis.prefix,
        onError: onChannelError,
      })
    : createInProcessCommandChannel();
  // publishJobChange, subscribeJobChanges and abortRunningJob go through these from now on
  installProgressBus(progress);
  installJobCommandChannel(jobCommands);
  return {
    progress,
    jobCommands,
    queue: env.redis
      ? createBullmqQueue({
          redisUrl: env.redis.url,
          prefix: env.redis.prefix,
          onError: onQueueError,
        })
      : createInProcessQueue({ onError: onQueueError }),
    blobs,
    downloads,
    downloadLimits,
    secrets: createSecretBox(
      loadSecretKey({ fromEnv: env.SECRET_KEY, keyFile: path.join(env.dataDir, "secret.key") }),
    ),
    connectorHttp: createConnectorHttp(downloads, blobs.tempDir, {
      maxFileBytes: downloadLimits.maxReportBytes,
    }),
    connectorSessions: createSessionCache(),
    isWorker: env.runMode !== "web",
    startedAt: new Date(),
  };
}

const globalForRuntime = globalThis as unknown as { datahaulRuntime?: TRuntime };
export function getRuntime(): TRuntime {
  return (globalForRuntime.datahaulRuntime ??= createRuntime());
}
