import "server-only";
import path from "node:path";
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
import { createInProcessQueue } from "./jobs/in-process-queue";
import type { JobQueue } from "./jobs/queue";
import { logger } from "./logger";
import { createSecretBox, loadSecretKey, type SecretBox } from "./secrets/secret-box";
import type { BlobStore } from "./storage/blob-store";
import { createLocalBlobStore } from "./storage/local-blob-store";

/** The process-wide infrastructure services depend on; built once per process. */
export type TRuntime = {
  queue: JobQueue;
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
  // cluster mode: limits and connector sessions are shared by all processes through Redis
  const redis = env.REDIS_URL ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: null }) : null;
  const downloads = createDownloadEngine(downloadLimits, {
    sharedLimits: redis ? sharedLimitsOn(redis) : undefined,
  });
  const secrets = createSecretBox(
    loadSecretKey({ fromEnv: env.SECRET_KEY, keyFile: path.join(env.dataDir, "secret.key") }),
  );
  return {
    queue: createInProcessQueue({
      onError: (name, error) => logger.error({ queue: name, err: error }, "queue handler failed"),
    }),
    blobs,
    downloads,
    downloadLimits,
    secrets,
    connectorHttp: createConnectorHttp(downloads, blobs.tempDir, {
      maxFileBytes: downloadLimits.maxReportBytes,
    }),
    connectorSessions: redis
      ? createRedisSessionCache(redis, secrets, { prefix: `${env.REDIS_PREFIX}:sessions` })
      : createSessionCache(),
    isWorker: env.RUN_WORKER,
    startedAt: new Date(),
  };
}

/** Download limits that hold for all processes together, kept in Redis. */
function sharedLimitsOn(redis: Redis) {
  return (rules: TLimitRules) =>
    createRedisLimits(redis, rules, {
      prefix: `${env.REDIS_PREFIX}:limits`,
      onLostSlot: (host, error) =>
        logger.warn({ host, err: error }, "a download slot's lease could not be renewed"),
    });
}

const globalForRuntime = globalThis as unknown as { datahaulRuntime?: TRuntime };
export function getRuntime(): TRuntime {
  return (globalForRuntime.datahaulRuntime ??= createRuntime());
}
