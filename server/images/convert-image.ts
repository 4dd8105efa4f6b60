import "server-only";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { TImageConversion } from "@/server/batches/image-batch-options";
import { updateCrc32 } from "@/server/crc32";

/**
 * Larger images are refused rather than decoded: 50 megapixels covers any camera a catalogue
 * uses, and a decompression bomb (a small PNG that claims 100,000 x 100,000 pixels) stops at its
 * header instead of taking gigabytes.
 */
export const MAX_CONVERTED_INPUT_PIXELS = 50_000_000;
/**
 * Conversions at once in this process, each on one libvips thread: the machines have 2 cores,
 * and the downloads, hashing and database writes need some of them too.
 */
const CONVERSIONS_AT_ONCE = 2;

// libvips would otherwise start a thread per core for each image and keep decoded images in a
// cache of up to 50 MB; every image here is converted once.
sharp.concurrency(1);
sharp.cache(false);

export type TConversionResult =
  /** the converted file, a temp file in the scratch folder until it is stored */
  | { ok: true; tempPath: string; sha256: string; crc32: number; bytes: number; extension: string }
  /** nothing to do: the format is kept and the image is within the size limit */
  | { ok: true; tempPath: null }
  | { ok: false; error: string };

const OUTPUT_EXTENSIONS: Record<string, string> = {
  jpeg: "jpg",
  png: "png",
  webp: "webp",
  gif: "gif",
  avif: "avif",
  tiff: "tiff",
};

type TSharp = ReturnType<typeof sharp>;

let running = 0;
const waiting: (() => void)[] = [];

async function takeTurn(): Promise<() => void> {
  if (running >= CONVERSIONS_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  return () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
}

/**
 * Converts a downloaded image (its bytes, or its temp file: either is bounded by MAX_IMAGE_SIZE_MB)
 * into a temp file of `scratchDir`, and hashes what it wrote. An image sharp cannot read, or one
 * over the pixel limit, comes back as a failure in words; the original is never touched.
 */
export async function convertImage(
  input: { data: Uint8Array } | { tempPath: string },
  conversion: TImageConversion,
  scratchDir: string,
): Promise<TConversionResult> {
  const release = await takeTurn();
  const outputPath = path.join(scratchDir, `converted-${randomUUID()}`);
  try {
    const source = "data" in input ? Buffer.from(input.data) : input.tempPath;
    // the first frame of an animation, as a product picture shows it
    const image = sharp(source, { limitInputPixels: MAX_CONVERTED_INPUT_PIXELS, animated: false });
    const metadata = await image.metadata();
    const format = outputFormat(conversion.format, metadata.format);
    const longestSide = Math.max(
      metadata.autoOrient?.width ?? metadata.width ?? 0,
      metadata.autoOrient?.height ?? metadata.height ?? 0,
    );
    const isTooLarge = conversion.maxSide !== null && longestSide > conversion.maxSide;
    if (conversion.format === "keep" && format === metadata.format && !isTooLarge)
      return { ok: true, tempPath: null };

    // phones store photos sideways with an EXIF orientation; the output keeps no EXIF, so the
    // pixels are turned upright first
    let pipeline = image.autoOrient();
    if (conversion.maxSide !== null)
      pipeline = pipeline.resize({
        width: conversion.maxSide,
        height: conversion.maxSide,
        fit: "inside",
        withoutEnlargement: true,
      });
    pipeline = withFormat(pipeline, format, conversion.quality);
    await pipeline.toFile(outputPath);
    const { sha256, crc32, bytes } = await hashFile(outputPath);
    return {
      ok: true,
      tempPath: outputPath,
      sha256,
      crc32,
      bytes,
      extension: OUTPUT_EXTENSIONS[format]!,
    };
  } catch (error) {
    await rm(outputPath, { force: true }).catch(() => undefined);
    return { ok: false, error: describeConversionError(error) };
  } finally {
    release();
  }
}

/** What "keep" writes: the image's own format where sharp writes it, PNG otherwise (SVG, BMP…). */
function outputFormat(target: TImageConversion["format"], inputFormat: string | undefined): string {
  if (target !== "keep") return target;
  if (inputFormat === "heif") return "avif";
  return inputFormat && inputFormat in OUTPUT_EXTENSIONS ? inputFormat : "png";
}

function withFormat(pipeline: TSharp, format: string, quality: number): TSharp {
  switch (format) {
    case "jpeg":
      // JPEG has no transparency: transparent parts become white, as on a product page
      return pipeline.flatten({ background: "#ffffff" }).jpeg({ quality, mozjpeg: true });
    case "webp":
      return pipeline.webp({ quality });
    case "png":
      return pipeline.png();
    case "gif":
      return pipeline.gif();
    case "avif":
      return pipeline.avif({ quality });
    default:
      return pipeline.tiff();
  }
}

async function hashFile(file: string): Promise<{ sha256: string; crc32: number; bytes: number }> {
  const hash = createHash("sha256");
  let crc32 = 0;
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file)) {
    const data = chunk as Buffer;
    hash.update(data);
    crc32 = updateCrc32(data, crc32);
    bytes += data.length;
  }
  return { sha256: hash.digest("hex"), crc32, bytes };
}

function describeConversionError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message))
    return `too large to convert: more than ${MAX_CONVERTED_INPUT_PIXELS / 1_000_000} megapixels`;
  // libvips adds its own lines ("vips2png: …"); the first says what went wrong
  const firstLine = message.split("\n")[0]!.trim();
  return `could not convert: ${firstLine || "the image could not be read"}`;
}
