import "server-only";
import {
  createDownloadEngine,
  readDownloadLimitsFromEnv,
  type DownloadEngine,
  type DownloadLimits,
} from "./downloads";
import { env } from "./env";
import { createInProcessQueue } from "./jobs/in-process-queue";
import type { JobQueue } from "./jobs/queue";
import { logger } from "./logger";
import type { BlobStore } from "./storage/blob-store";
import { createLocalBlobStore } from "./storage/local-blob-store";

/** The process-wide infrastructure services depend on; built once per process. */
export type TRuntime = {
  queue: JobQueue;
  blobs: BlobStore;
  downloads: DownloadEngine;
  downloadLimits: DownloadLimits;
  isWorker: boolean;
  startedAt: Date;
};

function createRuntime(): TRuntime {
  const downloadLimits = readDownloadLimitsFromEnv(env.raw);
  return {
    queue: createInProcessQueue({
      onError: (name, error) => logger.error({ queue: name, err: error }, "queue handler failed"),
    }),
    blobs: createLocalBlobStore(env.dataDir),
    downloads: createDownloadEngine(downloadLimits),
    downloadLimits,
    isWorker: env.RUN_WORKER,
    startedAt: new Date(),
  };
}

const globalForRuntime = globalThis as unknown as { datahaulRuntime?: TRuntime };
export function getRuntime(): TRuntime {
  return (globalForRuntime.datahaulRuntime ??= createRuntime());
}
