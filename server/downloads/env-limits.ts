import { z } from "zod";
import { parseAllowlistEntry } from "./address-guard";
import type { DownloadLimits } from "./types";

const MB = 1024 * 1024;
/** A run records a report's size in a 32-bit column: "no limit" means this much. */
const LARGEST_RECORDABLE_BYTES = 2 ** 31 - 1;

/** The engine's limits and the largest report file, which the engine takes per call. */
export type TDownloadSettings = DownloadLimits & { maxReportBytes: number };

// Blank values count as unset so `FOO=` in a .env file falls back to the default.
const blankAsUnset = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

const positiveInt = (fallback: number) =>
  z.preprocess(blankAsUnset, z.coerce.number().int().positive().default(fallback));
const positiveNumber = (fallback: number) =>
  z.preprocess(blankAsUnset, z.coerce.number().positive().finite().default(fallback));

const envSchema = z.object({
  MAX_GLOBAL_CONCURRENCY: positiveInt(32),
  MAX_PER_HOST_CONCURRENCY: positiveInt(4),
  DOWNLOAD_QPS: positiveNumber(20),
  HTTP_CONNECT_TIMEOUT: positiveNumber(5),
  HTTP_READ_TIMEOUT: positiveNumber(45),
  MAX_IMAGE_SIZE_MB: positiveNumber(50),
  // reports are files of any size on disk; 0 turns the limit off
  MAX_REPORT_SIZE_MB: z.preprocess(blankAsUnset, z.coerce.number().min(0).finite().default(1024)),
  DOWNLOAD_ALLOW_PRIVATE_HOSTS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? "")
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ""),
    )
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        if (!parseAllowlistEntry(entry)) {
          ctx.addIssue({
            code: "custom",
            message: `not a hostname, IP address, host:port or CIDR range: ${entry}`,
          });
        }
      }
    }),
});

export function readDownloadLimitsFromEnv(
  env: Record<string, string | undefined>,
): TDownloadSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid download settings:\n${z.prettifyError(parsed.error)}`);
  }
  const values = parsed.data;
  return {
    maxGlobalConcurrency: values.MAX_GLOBAL_CONCURRENCY,
    maxPerHostConcurrency: values.MAX_PER_HOST_CONCURRENCY,
    perHostQps: values.DOWNLOAD_QPS,
    connectTimeoutMs: Math.round(values.HTTP_CONNECT_TIMEOUT * 1000),
    readTimeoutMs: Math.round(values.HTTP_READ_TIMEOUT * 1000),
    maxBytes: Math.round(values.MAX_IMAGE_SIZE_MB * MB),
    maxAttempts: 4,
    maxRedirects: 5,
    allowPrivateHosts: values.DOWNLOAD_ALLOW_PRIVATE_HOSTS,
    maxReportBytes:
      values.MAX_REPORT_SIZE_MB === 0
        ? LARGEST_RECORDABLE_BYTES
        : Math.min(Math.round(values.MAX_REPORT_SIZE_MB * MB), LARGEST_RECORDABLE_BYTES),
  };
}
