// The options of an image batch: how its images are named in the ZIPs, and whether they are
// converted on the way in. Client-safe: the batch form validates and previews with this module.
import {
  DEFAULT_FILE_NAME_TEMPLATE,
  MAX_TEMPLATE_LENGTH,
  parseFileNameTemplate,
} from "@/server/archive/file-name-template";
import { z } from "@/server/forms/zod";

export const IMAGE_TARGET_FORMATS = ["keep", "jpeg", "webp", "png"] as const;
export type TImageTargetFormat = (typeof IMAGE_TARGET_FORMATS)[number];
export const MIN_LONGEST_SIDE = 16;
export const MAX_LONGEST_SIDE = 10_000;
/** sharp's own default for JPEG and WebP */
export const DEFAULT_QUALITY = 80;

export const ZImageConversion = z.object({
  format: z.enum(IMAGE_TARGET_FORMATS, {
    error: "Choose the format to convert to: keep, jpeg, webp or png.",
  }),
  /** the longest side in pixels; larger images are scaled down, smaller ones never up */
  maxSide: z
    .number()
    .int(`The longest side is a whole number of pixels.`)
    .min(MIN_LONGEST_SIDE, `The longest side must be at least ${MIN_LONGEST_SIDE} pixels.`)
    .max(
      MAX_LONGEST_SIDE,
      `The longest side must be at most ${MAX_LONGEST_SIDE.toLocaleString("en-US")} pixels.`,
    )
    .nullable()
    .default(null),
  /** JPEG and WebP only */
  quality: z
    .number()
    .int("The quality is a whole number from 1 to 100.")
    .min(1, "The quality is a whole number from 1 to 100.")
    .max(100, "The quality is a whole number from 1 to 100.")
    .default(DEFAULT_QUALITY),
  /** the downloaded originals in the ZIP too, in an originals/ folder beside the converted ones */
  includeOriginals: z.boolean().default(false),
});
export type TImageConversion = z.infer<typeof ZImageConversion>;

export const ZImageBatchOptions = z.object({
  fileNameTemplate: z
    .string()
    .max(
      MAX_TEMPLATE_LENGTH,
      `The file-name template is longer than ${MAX_TEMPLATE_LENGTH} characters.`,
    )
    .superRefine((template, context) => {
      const { error } = parseFileNameTemplate(template);
      if (error) context.addIssue({ code: "custom", message: error });
    })
    .optional(),
  conversion: ZImageConversion.optional(),
});
export type TImageBatchOptionsInput = z.input<typeof ZImageBatchOptions>;

/** What a batch's job keeps of its options (in Job.options, beside what Analyze skipped). */
export type TStoredImageOptions = {
  fileNameTemplate: string;
  /** null: the images go into the ZIP as they were downloaded */
  conversion: TImageConversion | null;
};

/**
 * Options as they are stored: a conversion that changes nothing (keep the format, no size limit)
 * is none, so such a batch stores and zips exactly what it downloaded.
 */
export function normalizeImageOptions(
  options: z.output<typeof ZImageBatchOptions> | undefined,
): TStoredImageOptions {
  const conversion = options?.conversion ?? null;
  const changesImages =
    conversion !== null && (conversion.format !== "keep" || conversion.maxSide !== null);
  return {
    fileNameTemplate: options?.fileNameTemplate ?? DEFAULT_FILE_NAME_TEMPLATE,
    conversion: changesImages ? conversion : null,
  };
}

/**
 * A job's image options from its stored JSON. Jobs from before these options, and anything that
 * no longer reads, get today's names and no conversion.
 */
export function imageOptionsOf(jobOptions: string): TStoredImageOptions {
  let stored: { fileNameTemplate?: unknown; conversion?: unknown };
  try {
    stored = JSON.parse(jobOptions) as typeof stored;
  } catch {
    stored = {};
  }
  const parsed = ZImageBatchOptions.safeParse({
    fileNameTemplate: stored.fileNameTemplate ?? undefined,
    conversion: stored.conversion ?? undefined,
  });
  return normalizeImageOptions(parsed.success ? parsed.data : undefined);
}

/** Content types of what a conversion writes, by the extension it is stored with. */
export const CONVERTED_CONTENT_TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  avif: "image/avif",
  tiff: "image/tiff",
};
