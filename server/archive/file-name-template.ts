// File names of a batch's images in its ZIPs, from a template the user chose. Client-safe: the
// batch form renders a live example with the same code the archive uses.
import {
  byteLength,
  caseFoldKey,
  MAX_FILE_NAME_BYTES,
  normalizeExtension,
  toSafeFileName,
} from "./file-names";

/** Today's names ("SKU-1_001.jpg"): a batch without a template of its own gets exactly these. */
export const DEFAULT_FILE_NAME_TEMPLATE = "{product}_{n:3}";
export const MAX_TEMPLATE_LENGTH = 100;
/** {n:10} already covers every position a batch can have; wider padding is only noise. */
const MAX_POSITION_WIDTH = 10;
/**
 * What a template's own text, positions and hashes may take of a name's 140 bytes: the rest is
 * for the extension (up to 11), a collision suffix and at least 8 bytes of each product number or
 * original name, so nothing but those values is ever cut.
 */
const MAX_FIXED_BYTES = 80;
/** A position's digits at most: a batch holds up to 100,000 images. */
const MAX_POSITION_DIGITS = 6;
const PLACEHOLDER_LIST = "{product}, {n} (or {n:3} for 001), {original} or {sha8}";

export type TTemplatePart =
  | { kind: "text"; text: string }
  | { kind: "product" }
  | { kind: "position"; width: number }
  | { kind: "original" }
  | { kind: "sha8" };

export type TParsedTemplate =
  { parts: TTemplatePart[]; error: null } | { parts: null; error: string };

export type TImageNameValues = {
  productNumber: string;
  /** 1-based place of the image within its product */
  position: number;
  sourceUrl: string;
  /** SHA-256 (hex) of the downloaded image */
  sha256: string | null;
  /** of the file as it goes into the ZIP, from its real content type */
  extension: string;
};

// The characters toSafeFileName would replace: in a template they are a mistake worth naming,
// ("/" asks for folders, which the ZIP's layout decides), not something to fix silently.
const FORBIDDEN_IN_TEMPLATE = /[/\\<>:"|?*\p{Cc}]/u;

/** Reads a template into its parts, or says in one sentence what is wrong with it. */
export function parseFileNameTemplate(template: string): TParsedTemplate {
  const refuse = (error: string): TParsedTemplate => ({ parts: null, error });
  if (template.trim() === "")
    return refuse(
      `The file-name template is empty: leave the field as it is for the default, ${DEFAULT_FILE_NAME_TEMPLATE}.`,
    );
  if (template.length > MAX_TEMPLATE_LENGTH)
    return refuse(
      `The file-name template is longer than ${MAX_TEMPLATE_LENGTH} characters: names that long get cut.`,
    );
  const parts: TTemplatePart[] = [];
  let text = "";
  for (let at = 0; at < template.length;) {
    const char = template[at]!;
    if (char === "}")
      return refuse(`The file-name template has a “}” without its “{”: use ${PLACEHOLDER_LIST}.`);
    if (char !== "{") {
      const forbidden = FORBIDDEN_IN_TEMPLATE.exec(char);
      if (forbidden) return refuse(forbiddenCharacterMessage(char));
      text += char;
      at++;
      continue;
    }
    const end = template.indexOf("}", at);
    const nextOpen = template.indexOf("{", at + 1);
    if (end === -1 || (nextOpen !== -1 && nextOpen < end))
      return refuse(
        `The file-name template has a “{” that is not closed: write placeholders as {product}.`,
      );
    const placeholder = template.slice(at, end + 1);
    const part = readPlaceholder(template.slice(at + 1, end));
    if (typeof part === "string") return refuse(part.replace("%s", placeholder));
    if (text) parts.push({ kind: "text", text });
    text = "";
    parts.push(part);
    at = end + 1;
  }
  if (text) parts.push({ kind: "text", text });
  if (worstFixedBytes(parts) > MAX_FIXED_BYTES)
    return refuse(
      "The file-name template is too long: with its text, positions and hashes filled in it leaves no room for the rest of a name (140 bytes in all).",
    );
  return { parts, error: null };
}

function worstFixedBytes(parts: TTemplatePart[]): number {
  return parts.reduce((sum, part) => {
    if (part.kind === "text") return sum + byteLength(part.text);
    if (part.kind === "position") return sum + Math.max(part.width, MAX_POSITION_DIGITS);
    if (part.kind === "sha8") return sum + 8;
    return sum;
  }, 0);
}

/** A placeholder's part, or a message with %s where the placeholder goes. */
function readPlaceholder(inside: string): TTemplatePart | string {
  const colon = inside.indexOf(":");
  const name = colon === -1 ? inside : inside.slice(0, colon);
  const format = colon === -1 ? null : inside.slice(colon + 1);
  switch (name) {
    case "product":
    case "original":
    case "sha8":
      if (format !== null) return `The placeholder %s takes no format: write {${name}}.`;
      return { kind: name };
    case "n": {
      if (format === null) return { kind: "position", width: 1 };
      const width = /^\d{1,2}$/.test(format) ? Number(format) : NaN;
      if (!(width >= 1 && width <= MAX_POSITION_WIDTH))
        return `The placeholder %s needs a width from 1 to ${MAX_POSITION_WIDTH}: {n:3} writes 001.`;
      return { kind: "position", width };
    }
    default:
      return `Unknown placeholder %s in the file-name template: use ${PLACEHOLDER_LIST}.`;
  }
}

function forbiddenCharacterMessage(char: string): string {
  if (char === "/" || char === "\\")
    return `The file-name template cannot contain “${char}”: it names a file, and each product has its own folder already.`;
  if (/\p{Cc}/u.test(char))
    return "The file-name template cannot contain control characters (a tab or a line break).";
  return `The file-name template cannot contain “${char}”: Windows does not allow it in file names.`;
}

/**
 * The name of one image: placeholders filled in, each value made safe, and our extension added.
 * Only {product} and {original} are ever shortened to fit the byte limit (the longer first), so
 * the position, the hash and a collision suffix survive; with the default template this is
 * exactly `imageFileName`.
 */
export function renderImageFileName(
  parts: TTemplatePart[],
  values: TImageNameValues,
  collisionSuffix = "",
): string {
  const { position } = values;
  if (!Number.isSafeInteger(position) || position < 1) {
    throw new RangeError(`position must be a positive integer, got ${position}`);
  }
  const extension = `.${normalizeExtension(values.extension)}`;
  const rendered: { text: string; isShortenable: boolean; fallback: string }[] = parts.map(
    (part) => {
      switch (part.kind) {
        case "text":
          return { text: part.text, isShortenable: false, fallback: "" };
        case "position":
          return {
            text: String(position).padStart(part.width, "0"),
            isShortenable: false,
            fallback: "",
          };
        case "sha8":
          return { text: (values.sha256 ?? "").slice(0, 8), isShortenable: false, fallback: "" };
        case "product":
          return { text: values.productNumber, isShortenable: true, fallback: "product" };
        case "original":
          return { text: originalNameOf(values.sourceUrl), isShortenable: true, fallback: "image" };
      }
    },
  );
  const fixedBytes =
    byteLength(collisionSuffix) +
    byteLength(extension) +
    rendered.reduce((sum, part) => sum + (part.isShortenable ? 0 : byteLength(part.text)), 0);
  const budgets = shareBudget(
    rendered.filter((part) => part.isShortenable).map((part) => byteLength(safeValue(part))),
    MAX_FILE_NAME_BYTES - fixedBytes,
  );
  let shortenable = 0;
  const stem = rendered
    .map((part) => (part.isShortenable ? safeValue(part, budgets[shortenable++]) : part.text))
    .join("");
  const fallback = `image_${String(position).padStart(3, "0")}${collisionSuffix}${extension}`;
  return toSafeFileName(`${stem}${collisionSuffix}${extension}`, fallback);
}

/** A value made safe on its own, so its edges are trimmed where they are, not in the name. */
function safeValue(part: { text: string; fallback: string }, maxBytes?: number): string {
  // toSafeFileName refuses limits under 8 bytes; the name's own pass cuts it further if need be
  return toSafeFileName(part.text, part.fallback, { maxBytes: Math.max(8, maxBytes ?? 1e6) });
}

/** Bytes for each shortenable value: what it needs, with the rest of the budget split evenly. */
function shareBudget(lengths: number[], budget: number): number[] {
  const order = lengths.map((length, i) => ({ length, i })).sort((a, b) => a.length - b.length);
  const budgets = new Array<number>(lengths.length).fill(0);
  let left = budget;
  order.forEach(({ length, i }, rank) => {
    const share = Math.floor(left / (order.length - rank));
    budgets[i] = Math.min(length, share);
    left -= budgets[i]!;
  });
  return budgets;
}

/** The file name in a URL's path, without its extension: "front shot" for ".../front%20shot.jpg". */
export function originalNameOf(url: string): string {
  let segment: string;
  try {
    segment = new URL(url).pathname.split("/").pop() ?? "";
  } catch {
    return "";
  }
  try {
    segment = decodeURIComponent(segment);
  } catch {
    // a stray "%" that is not an escape: the segment as it was written
  }
  const dot = segment.lastIndexOf(".");
  return dot > 0 ? segment.slice(0, dot) : segment;
}

/**
 * Names for the images of one archive folder after another: the same name twice in a folder (or
 * two a case-insensitive disk would merge) gets " (2)", " (3)"… before the extension, in the
 * order the images come. Call it product by product, in archive order, so a product's ZIP and the
 * master ZIP give an image the same name.
 */
export function createImageFileNamer(parts: TTemplatePart[]): (values: TImageNameValues) => string {
  let currentProduct: string | null = null;
  let taken = new Set<string>();
  return (values) => {
    if (values.productNumber !== currentProduct) {
      currentProduct = values.productNumber;
      taken = new Set();
    }
    let name = renderImageFileName(parts, values);
    for (let n = 2; taken.has(caseFoldKey(name)); n++)
      name = renderImageFileName(parts, values, ` (${n})`);
    taken.add(caseFoldKey(name));
    return name;
  };
}

/** The template's parts; a stored template that no longer reads falls back to the default. */
export function templatePartsOf(template: string | null | undefined): TTemplatePart[] {
  const parsed = parseFileNameTemplate(template ?? DEFAULT_FILE_NAME_TEMPLATE);
  return parsed.parts ?? parseFileNameTemplate(DEFAULT_FILE_NAME_TEMPLATE).parts!;
}
