import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { isMainThread } from "node:worker_threads";
import { z } from "zod";
import { resolveDatabaseUrl } from "./db-url";
import { resolveRunMode, type TRunMode } from "./run-mode";

// The only module that reads process.env: everything else receives typed values from here.

const ZFlag = z
  .enum(["true", "false"])
  .default("false")
  .transform((v) => v === "true");

const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATA_DIR: z.string().default("data"),
  PORT: z.coerce.number().int().positive().default(3000),
  APP_URL: z.url().optional(),
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(10, "ADMIN_PASSWORD must be at least 10 characters").optional(),
  /** days after which finished jobs are removed; 0 keeps them forever (the Settings page can override) */
  JOB_RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
  /** 32-byte key (base64 or hex) that seals connector secrets; default: data/secret.key, created on first run */
  SECRET_KEY: z.string().optional(),
  /** first wait before a failed report is tried again; it doubles per attempt */
  REPORT_RETRY_BASE_SECONDS: z.coerce.number().min(0).default(5),
  /** the largest table file an upload may send, in MB (checked while it streams in) */
  MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(10_000).default(100),
  /** how long one export may take, in seconds, before it fails as timed out */
  EXPORT_TASK_TIMEOUT: z.coerce.number().int().min(1).max(86_400).default(300),
  /** the table engine's (DuckDB) memory limit, in MB: sorts and joins past it spill to disk */
  TABLE_ENGINE_MEMORY_MB: z.coerce.number().int().min(64).max(1_000_000).default(192),
  /** the one folder (a mounted share) that folder destinations may write under; unset: none */
  DELIVERY_FOLDER_ROOT: z.string().trim().min(1).optional(),
  /** the mail server for invitations and password links: smtp://user:pass@host:587 or smtps://… */
  SMTP_URL: z
    .url()
    .refine((value) => /^smtps?:$/.test(new URL(value).protocol), "use smtp:// or smtps://")
    .optional(),
  /** the sender of those e-mails, "DataHaul <datahaul@example.com>" */
  MAIL_FROM: z.string().trim().min(3).optional(),
  /** the table engine's threads */
  TABLE_ENGINE_THREADS: z.coerce.number().int().min(1).max(256).default(2),
  /** off the embedded mode, on SIGTERM: how long running jobs may finish what they have in flight */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  /** in-process (the embedded default, nothing to run beside it) or bullmq (on REDIS_URL) */
  QUEUE: z.enum(["in-process", "bullmq"]).default("in-process"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, "REDIS_URL must look like redis://host:6379 (or rediss:// for TLS)")
    .optional(),
  /** namespaces DataHaul's keys and channels, so several installations can share one Redis */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "REDIS_PREFIX may hold letters, digits, _ . and - only")
    .default("datahaul"),
  /** web (pages and API), worker (jobs and schedules) or all (the embedded default: both) */
  RUN_MODE: z.enum(["web", "worker", "all"]).optional(),
  /** the older switch, kept as an alias: true is RUN_MODE=all, false is RUN_MODE=web */
  RUN_WORKER: z.enum(["true", "false"]).optional(),
  /** where stored files live: local (DATA_DIR/blobs, the embedded default) or s3 */
  STORAGE: z.enum(["local", "s3"]).default("local"),
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  /** an S3-compatible server (MinIO, Ceph, R2…); unset for AWS itself */
  S3_ENDPOINT: z.url().optional(),
  /** bucket in the path (http://host/bucket/key), as most S3-compatible servers want */
  S3_FORCE_PATH_STYLE: ZFlag,
  /** both or neither; without them the SDK's default chain (AWS_* variables, profiles, roles) */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** put before every key, so one bucket can hold several installs ("datahaul/") */
  S3_PREFIX: z.string().default(""),
});

export type TEnv = z.infer<typeof ZEnv> & {
  /** where the queue, progress and commands travel when QUEUE=bullmq; null in the embedded mode */
  redis: { url: string; prefix: string } | null;
  runMode: TRunMode;
  /** one process with the in-process queue: secrets may be generated into the data folder */
  isEmbedded: boolean;
  dataDir: string;
  databaseUrl: string;
  authSecret: string;
  raw: Record<string, string | undefined>;
};

function loadEnv(): TEnv {
  const parsed = ZEnv.superRefine((value, ctx) => {
    if (value.STORAGE === "s3" && !value.S3_BUCKET)
      ctx.addIssue({ code: "custom", path: ["S3_BUCKET"], message: "STORAGE=s3 needs S3_BUCKET" });
    if (value.SMTP_URL && !value.MAIL_FROM)
      ctx.addIssue({
        code: "custom",
        path: ["MAIL_FROM"],
        message: "SMTP_URL needs MAIL_FROM, the sender address of the e-mails",
      });
    if (!value.S3_ACCESS_KEY_ID !== !value.S3_SECRET_ACCESS_KEY)
      ctx.addIssue({
        code: "custom",
        path: ["S3_SECRET_ACCESS_KEY"],
        message: "set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither",
      });
  }).safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  ${i.path.join(".")}: ${i.message}`)
      .join("\n");
    throw new Error(`Invalid environment:\n${problems}`);
  }
  if (parsed.data.QUEUE === "bullmq" && !parsed.data.REDIS_URL)
    throw new Error(
      "Invalid environment:\n  REDIS_URL: QUEUE=bullmq needs REDIS_URL, the Redis its queue lives on (redis://host:6379).",
    );
  const mode = resolveRunMode(parsed.data);
  if (!mode.isOk)
    throw new Error(`Invalid environment:\n${mode.problems.map((p) => `  ${p}`).join("\n")}`);
  // The database, its -wal/-shm, stored files and secrets are the owner's alone: everything this
  // process creates from here on has no group or other bits (scripts/start.mjs sets the same for
  // the migration), and what an older version left open is closed.
  if (isMainThread) process.umask(0o077);
  const dataDir = path.resolve(/*turbopackIgnore: true*/ parsed.data.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const databaseUrl = resolveDatabaseUrl({ ...process.env, DATA_DIR: dataDir });
  closeToOthers(dataDir, 0o700);
  if (databaseUrl.startsWith("file:")) {
    // SQLite gives a new -wal and -shm the mode of the database file
    const file = databaseUrl.slice("file:".length);
    for (const suffix of ["", "-wal", "-shm"]) closeToOthers(`${file}${suffix}`, 0o600);
  }
  return {
    ...parsed.data,
    redis:
      parsed.data.QUEUE === "bullmq" && parsed.data.REDIS_URL
        ? { url: parsed.data.REDIS_URL, prefix: parsed.data.REDIS_PREFIX }
        : null,
    runMode: mode.runMode,
    isEmbedded: mode.isEmbedded,
    dataDir,
    databaseUrl,
    authSecret: parsed.data.AUTH_SECRET ?? readOrCreateSecret(path.join(dataDir, "auth-secret")),
    raw: { ...process.env },
  };
}

function closeToOthers(file: string, mode: number): void {
  try {
    fs.chmodSync(file, mode);
  } catch {
    // not there yet (it will be created private), or someone else's: its modes stay as they are
  }
}

/** A secret generated on first run and kept in the data folder, readable by its owner only. */
function readOrCreateSecret(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const secret = crypto.randomBytes(32).toString("base64url");
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
      return secret;
    } catch {
      return fs.readFileSync(file, "utf8").trim(); // another process created it first
    }
  }
}

const globalForEnv = globalThis as unknown as { datahaulEnv?: TEnv };
export const env: TEnv = (globalForEnv.datahaulEnv ??= loadEnv());
