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
  const downloads = createDownloadEngine(downloadLimits, {
    sharedLimits: env.REDIS_URL ? sharedLimitsOn(env.REDIS_URL) : undefined,
  });
  return {
    queue: createInProcessQueue({
      onError: (name, error) => logger.error({ queue: name, err: error }, "queue handler failed"),
    }),
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
    isWorker: env.RUN_WORKER,
    startedAt: new Date(),
  };
}

/** Download limits that hold for all processes together, kept in Redis. */
function sharedLimitsOn(redisUrl: string) {
  return (rules: TLimitRules) =>
    createRedisLimits(new Redis(redisUrl, { maxRetriesPerRequest: null }), rules, {
      prefix: "datahaul:limits",
      onLostSlot: (host, error) =>
        logger.warn({ host, err: error }, "a download slot's lease could not be renewed"),
    });
}

const globalForRuntime = globalThis as unknown as { datahaulRuntime?: TRuntime };
export function getRuntime(): TRuntime {
  return (globalForRuntime.datahaulRuntime ??= createRuntime());
}
