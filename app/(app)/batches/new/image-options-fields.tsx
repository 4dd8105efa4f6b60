"use client";

import { productFolderName } from "@/server/archive/file-names";
import {
  DEFAULT_FILE_NAME_TEMPLATE,
  parseFileNameTemplate,
  renderImageFileName,
} from "@/server/archive/file-name-template";
import {
  DEFAULT_QUALITY,
  MAX_LONGEST_SIDE,
  MIN_LONGEST_SIDE,
  type TImageBatchOptionsInput,
  type TImageTargetFormat,
} from "@/server/batches/image-batch-options";
import { FieldError } from "../../../_components/ui";

/** The form's state: text boxes keep what was typed, and are read into options on queueing. */
export type TImageOptionsForm = {
  fileNameTemplate: string;
  format: TImageTargetFormat;
  maxSide: string;
  quality: string;
  includeOriginals: boolean;
};

export const INITIAL_IMAGE_OPTIONS: TImageOptionsForm = {
  fileNameTemplate: DEFAULT_FILE_NAME_TEMPLATE,
  format: "keep",
  maxSide: "",
  quality: String(DEFAULT_QUALITY),
  includeOriginals: false,
};

// the hash of an image is known once it is downloaded: the example shows one of the right shape
const EXAMPLE_SHA256 = "3f2a9c1e".padEnd(64, "0");
const EXTENSION_OF_FORMAT: Record<Exclude<TImageTargetFormat, "keep">, string> = {
  jpeg: "jpg",
  webp: "webp",
  png: "png",
};

/** The options to send, or the sentence that says what to fix first, and in which field. */
export function readImageOptions(
  form: TImageOptionsForm,
):
  | { options: TImageBatchOptionsInput; problem: null }
  | { options: null; problem: string; field: keyof TImageOptionsForm } {
  const template =
    form.fileNameTemplate.trim() === "" ? DEFAULT_FILE_NAME_TEMPLATE : form.fileNameTemplate;
  const { error } = parseFileNameTemplate(template);
  if (error) return { options: null, problem: error, field: "fileNameTemplate" };
  const maxSide = form.maxSide.trim() === "" ? null : Number(form.maxSide);
  if (
    maxSide !== null &&
    !(Number.isInteger(maxSide) && maxSide >= MIN_LONGEST_SIDE && maxSide <= MAX_LONGEST_SIDE)
  )
    return {
      options: null,
      field: "maxSide",
      problem: `The longest side is a whole number of pixels from ${MIN_LONGEST_SIDE} to ${MAX_LONGEST_SIDE.toLocaleString()}, or empty for no limit.`,
    };
  const quality = Number(form.quality);
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100))
    return {
      options: null,
      field: "quality",
      problem: "The quality is a whole number from 1 to 100.",
    };
  const isConverting = form.format !== "keep" || maxSide !== null;
  return {
    options: {
      fileNameTemplate: template,
      ...(isConverting
        ? {
            conversion: {
              format: form.format,
              maxSide,
              quality,
              includeOriginals: form.includeOriginals,
            },
          }
        : {}),
    },
    problem: null,
  };
}

/** How the images are named in the ZIPs and whether they are converted, with a live example. */
export function ImageOptionsFields({
  value,
  onChange,
  example,
}: {
  value: TImageOptionsForm;
  onChange: (next: TImageOptionsForm) => void;
  /** a row of the batch, to show its name; a made-up one before the analysis */
  example: { product: string; url: string } | null;
}) {
  const set = <K extends keyof TImageOptionsForm>(key: K, next: TImageOptionsForm[K]) =>
    onChange({ ...value, [key]: next });
  const template =
    value.fileNameTemplate.trim() === "" ? DEFAULT_FILE_NAME_TEMPLATE : value.fileNameTemplate;
  const parsed = parseFileNameTemplate(template);
  const row = example ?? {
    product: "SKU-1001",
    url: "https://cdn.example.com/sku-1001-front.jpg",
  };
  const extension =
    value.format === "keep"
      ? (/\.([a-z0-9]{2,5})(?:[?#]|$)/i.exec(row.url)?.[1] ?? "jpg")
      : EXTENSION_OF_FORMAT[value.format];
  const exampleName = parsed.parts
    ? `${productFolderName(row.product)}/${renderImageFileName(parsed.parts, {
        productNumber: row.product,
        position: 1,
        sourceUrl: row.url,
        sha256: EXAMPLE_SHA256,
        extension,
      })}`
    : null;
  const isConverting = value.format !== "keep" || value.maxSide.trim() !== "";
  const hasQuality = value.format === "jpeg" || value.format === "webp";
  const inputClass = "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm";

  return (
    <div className="mt-4 grid gap-4 border-t border-slate-200 pt-4 md:grid-cols-2">
      <label className="block text-sm">
        <span className="mb-1 block font-medium text-slate-700">File names in the ZIPs</span>
        <input
          value={value.fileNameTemplate}
          onChange={(e) => set("fileNameTemplate", e.target.value)}
          maxLength={100}
          spellCheck={false}
          aria-invalid={parsed.error !== null}
          aria-describedby="file-name-example"
          className={`${inputClass} font-mono`}
        />
        {parsed.error ? (
          <FieldError id="file-name-example">{parsed.error}</FieldError>
        ) : (
          <span id="file-name-example" className="mt-1 block text-xs text-slate-600">
            First image: <code data-testid="file-name-example">{exampleName}</code>
            <br />
            {"{product}"}, {"{n}"} (or {"{n:3}"} for 001), {"{original}"} (the URL&apos;s file
            name), {"{sha8}"} (the image&apos;s hash); the extension is added from the real content.
          </span>
        )}
      </label>
      <fieldset className="text-sm">
        <legend className="mb-1 font-medium text-slate-700">Convert the images</legend>
        <div className="flex flex-wrap gap-3">
          <label className="block">
            <span className="mb-1 block text-xs text-slate-600">Format</span>
            <select
              value={value.format}
              onChange={(e) => set("format", e.target.value as TImageTargetFormat)}
              className={inputClass}
            >
              <option value="keep">Keep</option>
              <option value="jpeg">JPEG</option>
              <option value="webp">WebP</option>
              <option value="png">PNG</option>
            </select>
          </label>
          <label className="block w-36">
            <span className="mb-1 block text-xs text-slate-600">Longest side (px)</span>
            <input
              type="number"
              min={MIN_LONGEST_SIDE}
              max={MAX_LONGEST_SIDE}
              step={1}
              value={value.maxSide}
              placeholder="no limit"
              onChange={(e) => set("maxSide", e.target.value)}
              className={inputClass}
            />
          </label>
          {hasQuality && (
            <label className="block w-24">
              <span className="mb-1 block text-xs text-slate-600">Quality</span>
              <input
                type="number"
                min={1}
                max={100}
                step={1}
                value={value.quality}
                onChange={(e) => set("quality", e.target.value)}
                className={inputClass}
              />
            </label>
          )}
        </div>
        {isConverting && (
          <label className="mt-2 flex items-center gap-2 text-slate-700">
            <input
              type="checkbox"
              checked={value.includeOriginals}
              onChange={(e) => set("includeOriginals", e.target.checked)}
            />
            Also put the originals in the ZIPs (an originals/ folder)
          </label>
        )}
        <p className="mt-1 text-xs text-slate-600">
          The downloaded originals are always kept; the ZIPs hold the converted images. Images are
          never enlarged.
        </p>
      </fieldset>
    </div>
  );
}
