import "server-only";
import fs from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { Redis } from "ioredis";
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
import { createRedisLimits, type TLimitRules } from "./downloads/redis-limits";
import { env } from "./env";
import { createRedisSessionCache } from "./connectors/redis-session-cache";
import { createBullmqQueue } from "./jobs/bullmq-queue";
import { startActivitySharing } from "./jobs/activity-sharing";
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
import { createLocalBlobStore, localScratchDir } from "./storage/local-blob-store";
import { createS3BlobStore } from "./storage/s3-blob-store";

/** The process-wide infrastructure services depend on; built once per process. */
export type TRuntime = {
  queue: JobQueue;
  /** job changes for the live pages; over Redis when the queue is */
  progress: ProgressBus;
  /** cancel and delete, to whichever process runs the job */
  jobCommands: JobCommandChannel;
  /** in cluster mode, what each worker is downloading, shared with every process */
  activitySharing: { close(): Promise<void> } | null;
  blobs: BlobStore;
  /**
   * This process's own folder for files not stored yet (downloads in progress, manifests being
   * written): local to the process whichever store holds the blobs.
   */
  scratchDir: string;
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
  const scratchDir = localScratchDir(env.dataDir);
  const blobs = createBlobStore(scratchDir);
  const redis = env.redis;
  // cluster mode: download limits and connector sessions are shared by all processes in Redis
  const redisClient = redis ? new Redis(redis.url, { maxRetriesPerRequest: null }) : null;
  const downloads = createDownloadEngine(downloadLimits, {
    sharedLimits: redisClient ? sharedLimitsOn(redisClient, redis!.prefix) : undefined,
    trustedCa: extraCertificateAuthorities(env.raw.NODE_EXTRA_CA_CERTS),
  });
  const secrets = createSecretBox(
    loadSecretKey({ fromEnv: env.SECRET_KEY, keyFile: path.join(env.dataDir, "secret.key") }),
  );
  const onQueueError = (name: string, error: unknown) =>
    logger.error({ queue: name, err: error }, "queue handler failed");
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
    activitySharing: redis
      ? startActivitySharing({ redisUrl: redis.url, prefix: redis.prefix, onError: onChannelError })
      : null,
    queue: env.redis
      ? createBullmqQueue({
          redisUrl: env.redis.url,
          prefix: env.redis.prefix,
          onError: onQueueError,
        })
      : createInProcessQueue({ onError: onQueueError }),
    blobs,
    scratchDir,
    downloads,
    downloadLimits,
    secrets,
    connectorHttp: createConnectorHttp(downloads, scratchDir, {
      maxFileBytes: downloadLimits.maxReportBytes,
    }),
    connectorSessions: redisClient
      ? createRedisSessionCache(redisClient, secrets, { prefix: `${redis!.prefix}:sessions` })
      : createSessionCache(),
    isWorker: env.runMode !== "web",
    startedAt: new Date(),
  };
}

/**
 * Node reads NODE_EXTRA_CA_CERTS once, as it starts; reading the file here too makes a private CA
 * named in it hold for our downloads however the process was started (a test sets it later).
 */
function extraCertificateAuthorities(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return [...tls.rootCertificates, fs.readFileSync(file, "utf8")].join("\n");
  } catch (error) {
    logger.warn({ file, err: error }, "NODE_EXTRA_CA_CERTS names a file that cannot be read");
    return undefined;
  }
}

/** Download limits that hold for all processes together, kept in Redis. */
function sharedLimitsOn(redis: Redis, prefix: string) {
  return (rules: TLimitRules) =>
    createRedisLimits(redis, rules, {
      prefix: `${prefix}:limits`,
      onLostSlot: (host, error) =>
        logger.warn({ host, err: error }, "a download slot's lease could not be renewed"),
    });
}

/** The one place the store is chosen: local files (the embedded default) or S3 (STORAGE=s3). */
function createBlobStore(scratchDir: string): BlobStore {
  if (env.STORAGE === "local") return createLocalBlobStore(env.dataDir, { scratchDir });
  return createS3BlobStore({
    bucket: env.S3_BUCKET!,
    region: env.S3_REGION,
    endpoint: env.S3_ENDPOINT,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    credentials:
      env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
        : undefined,
    prefix: env.S3_PREFIX,
    scratchDir,
  });
}

const globalForRuntime = globalThis as unknown as { datahaulRuntime?: TRuntime };
export function getRuntime(): TRuntime {
  return (globalForRuntime.datahaulRuntime ??= createRuntime());
}
