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
import { createInProcessQueue } from "./jobs/in-process-queue";
import type { JobQueue } from "./jobs/queue";
import { logger } from "./logger";
import { createSecretBox, loadSecretKey, type SecretBox } from "./secrets/secret-box";
import type { BlobStore } from "./storage/blob-store";
import { createLocalBlobStore, localScratchDir } from "./storage/local-blob-store";
import { createS3BlobStore } from "./storage/s3-blob-store";

/** The process-wide infrastructure services depend on; built once per process. */
export type TRuntime = {
  queue: JobQueue;
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
  const downloads = createDownloadEngine(downloadLimits);
  return {
    queue: createInProcessQueue({
      onError: (name, error) => logger.error({ queue: name, err: error }, "queue handler failed"),
    }),
    blobs,
    scratchDir,
    downloads,
    downloadLimits,
    secrets: createSecretBox(
      loadSecretKey({ fromEnv: env.SECRET_KEY, keyFile: path.join(env.dataDir, "secret.key") }),
    ),
    connectorHttp: createConnectorHttp(downloads, scratchDir, {
      maxFileBytes: downloadLimits.maxReportBytes,
    }),
    connectorSessions: createSessionCache(),
    isWorker: env.RUN_WORKER,
    startedAt: new Date(),
  };
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
