import { z } from "@/server/forms/zod";

// The files an export writes: the browser's editor builds on these, so no server-only imports here.

export const OUTPUT_FORMATS = ["csv", "xlsx", "parquet", "json", "ndjson"] as const;
export type TOutputFormat = (typeof OUTPUT_FORMATS)[number];

export const OUTPUT_EXTENSIONS: Record<TOutputFormat, string> = {
  csv: "csv",
  xlsx: "xlsx",
  parquet: "parquet",
  json: "json",
  ndjson: "ndjson",
};

/** One file an export writes; the CSV settings apply to CSV only. */
export const ZOutputSpec = z.object({
  format: z.enum(OUTPUT_FORMATS),
  delimiter: z.enum([",", ";", "\t", "|"]).default(","),
  /** minimal: only values that need quotes get them; all: every value */
  quote: z.enum(["minimal", "all"]).default("minimal"),
  /** a byte order mark first, so Excel opens a UTF-8 CSV with its accents intact */
  bom: z.boolean().default(false),
  lineEnding: z.enum(["lf", "crlf"]).default("lf"),
});
export type TOutputSpec = z.infer<typeof ZOutputSpec>;
