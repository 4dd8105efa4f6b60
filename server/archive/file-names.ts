// Names end up as path components on users' disks (any OS), so they are sanitised for the most
// restrictive common target: Windows rules plus the shortest common per-component byte limit.

/**
 * eCryptfs caps a component at 143 bytes and ext4/NTFS at 255; staying below the smallest keeps
 * extraction working everywhere, with headroom for "(1)" suffixes added by browsers and unzippers.
 */
export const MAX_FILE_NAME_BYTES = 140;

// Longer "extensions" are almost certainly part of the name, and keeping them would starve the stem.
const MAX_KEPT_EXTENSION_LENGTH = 16;
const LAST_RESORT_NAME = "file";

// Windows also reserves these with superscript digits and with any extension ("CON.txt"); its
// documentation lists COM0 and LPT0 too.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
// Separators and characters Windows refuses in names; replaced so the name stays recognisable.
const FORBIDDEN_CHARACTERS = /[/\\<>:"|?*\p{Cc}]/gu;
// Bidi overrides can disguise "gpj.exe" as "exe.jpg"; invisible, so dropping them loses nothing.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const utf8 = new TextEncoder();

export function toSafeFileName(
  input: string,
  fallback: string,
  options: { maxBytes?: number } = {},
): string {
  const maxBytes = options.maxBytes ?? MAX_FILE_NAME_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 8) {
    throw new RangeError("maxBytes must be an integer of at least 8");
  }
  return (
    sanitizeFileName(input, maxBytes) || sanitizeFileName(fallback, maxBytes) || LAST_RESORT_NAME
  );
}

function sanitizeFileName(input: string, maxBytes: number): string {
  const cleaned = trimEdges(
    input.normalize("NFC").replace(BIDI_CONTROLS, "").replace(FORBIDDEN_CHARACTERS, "_"),
  );
  if (!cleaned) return "";
  const truncated = truncateKeepingExtension(cleaned, maxBytes);
  if (!isWindowsReserved(truncated)) return truncated;
  // Re-truncating after the prefix cannot recreate a reserved stem, because "_" is never reserved.
  return truncateKeepingExtension(`_${truncated}`, maxBytes);
}

// Leading dots hide files or form "..", and Windows silently drops trailing dots and spaces,
// which would make two distinct names collide on extraction.
function trimEdges(name: string): string {
  return name.replace(/^[\s.]+/u, "").replace(/[\s.]+$/u, "");
}

function isWindowsReserved(name: string): boolean {
  const stem = name.split(".")[0] ?? "";
  return WINDOWS_RESERVED.test(stem.trimEnd());
}

function truncateKeepingExtension(name: string, maxBytes: number): string {
  if (byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? name.slice(dot) : "";
  const keepExtension =
    extension.length > 1 &&
    extension.length <= MAX_KEPT_EXTENSION_LENGTH + 1 &&
    byteLength(extension) < maxBytes;
  if (!keepExtension) return trimEdges(truncateToBytes(name, maxBytes));
  const stem = trimEdges(truncateToBytes(name.slice(0, dot), maxBytes - byteLength(extension)));
  return stem ? `${stem}${extension}` : trimEdges(truncateToBytes(name, maxBytes));
}

// Cuts on grapheme boundaries so an accent or emoji sequence is never split into garbage.
function truncateToBytes(text: string, maxBytes: number): string {
  let result = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = byteLength(segment);
    if (used + size > maxBytes) break;
    result += segment;
    used += size;
  }
  return result;
}

export function byteLength(text: string): number {
  return utf8.encode(text).length;
}

/** Stable per-product image name, e.g. "SKU-1_001.jpg"; positions beyond 999 simply get wider. */
export function imageFileName(args: {
  productNumber: string;
  position: number;
  extension: string;
}): string {
  const { productNumber, position, extension } = args;
  if (!Number.isSafeInteger(position) || position < 1) {
    throw new RangeError(`position must be a positive integer, got ${position}`);
  }
  const suffix = `_${String(position).padStart(3, "0")}.${normalizeExtension(extension)}`;
  // Only the product part may be shortened: cutting the suffix would make positions collide.
  const product = toSafeFileName(productNumber, "product", {
    maxBytes: MAX_FILE_NAME_BYTES - byteLength(suffix),
  });
  return toSafeFileName(`${product}${suffix}`, `image${suffix}`);
}

export function productFolderName(productNumber: string): string {
  return toSafeFileName(productNumber, "product");
}

/**
 * Folder names for the products of one archive, in the order they are met. Windows and macOS
 * extract "SKU-1/" and "sku-1/" into one folder, where the later files overwrite the earlier; a
 * name that one of them would take for an earlier one gets " (2)", " (3)"… instead. Names that
 * were cut to the byte limit and came out equal are told apart the same way.
 */
export function createProductFolderNamer(): (productNumber: string) => string {
  const byProduct = new Map<string, string>();
  const taken = new Set<string>();
  return (productNumber) => {
    const known = byProduct.get(productNumber);
    if (known) return known;
    let name = productFolderName(productNumber);
    for (let n = 2; taken.has(caseFoldKey(name)); n++) {
      const suffix = ` (${n})`;
      const base = toSafeFileName(productNumber, "product", {
        maxBytes: MAX_FILE_NAME_BYTES - byteLength(suffix),
      });
      name = `${base}${suffix}`;
    }
    taken.add(caseFoldKey(name));
    byProduct.set(productNumber, name);
    return name;
  };
}

/**
 * Equal for any two names a case-insensitive file system may take for one. NTFS compares
 * upper-case forms (ς and σ are both Σ), APFS folds case (ẞ is ß): lower, upper, lower again
 * meets both, and folding a pair that a file system keeps apart only costs a needless " (2)".
 */
export function caseFoldKey(name: string): string {
  return name.toLowerCase().toUpperCase().toLowerCase().normalize("NFC");
}

// Extensions come from Content-Type/URL sniffing; anything odd collapses to a harmless "bin".
export function normalizeExtension(extension: string): string {
  const cleaned = extension
    .trim()
    .replace(/^\.+/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
  return cleaned.slice(0, 10) || "bin";
}
