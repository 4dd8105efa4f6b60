export type ImageType = "jpeg" | "png" | "webp" | "avif" | "gif";

export const IMAGE_TYPE_INFO: Record<ImageType, { mimeType: string; extension: string }> = {
  jpeg: { mimeType: "image/jpeg", extension: "jpg" },
  png: { mimeType: "image/png", extension: "png" },
  webp: { mimeType: "image/webp", extension: "webp" },
  avif: { mimeType: "image/avif", extension: "avif" },
  gif: { mimeType: "image/gif", extension: "gif" },
};

// Enough for every signature below, including AVIF's compatible-brand list.
export const SNIFF_BYTES = 64;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, expected: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[offset + i] !== expected[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function isAvif(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== "ftyp") return false;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const isBrand = (brand: string) => brand === "avif" || brand === "avis";
  if (isBrand(ascii(bytes, 8, 12))) return true;
  const end = Math.min(bytes.length, boxSize >= 16 ? boxSize : bytes.length);
  for (let offset = 16; offset + 4 <= end; offset += 4) {
    if (isBrand(ascii(bytes, offset, offset + 4))) return true;
  }
  return false;
}

export function sniffImageType(bytes: Uint8Array): ImageType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  if (bytes.length >= 6) {
    const gif = ascii(bytes, 0, 6);
    if (gif === "GIF87a" || gif === "GIF89a") return "gif";
  }
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP")
    return "webp";
  if (isAvif(bytes)) return "avif";
  return null;
}

/** Formats worth naming when bytes are not what was expected: what they are, by their magic. */
const SIGNATURES: { bytes: readonly number[]; offset?: number; type: string }[] = [
  { bytes: [0x1f, 0x8b], type: "application/gzip" },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], type: "application/zstd" },
  { bytes: [0x42, 0x5a, 0x68], type: "application/x-bzip2" },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], type: "application/x-xz" },
  { bytes: [0x50, 0x4b, 0x03, 0x04], type: "application/zip" },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], type: "application/pdf" },
  { bytes: [0x49, 0x49, 0x2a, 0x00], type: "image/tiff" },
  { bytes: [0x4d, 0x4d, 0x00, 0x2a], type: "image/tiff" },
  { bytes: [0x00, 0x00, 0x01, 0x00], type: "image/x-icon" },
  { bytes: [0x38, 0x42, 0x50, 0x53], type: "image/vnd.adobe.photoshop" },
];

const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]);

function isPrintableText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const byte of bytes) {
    // tab, line ends and everything from the space up (UTF-8 sequences included), no controls
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
    if (byte === 0x7f) return false;
  }
  return true;
}

/**
 * What a body is when it is not a supported image, as a media type, to word a refusal ("not an
 * image: application/gzip"); null when the bytes say nothing recognisable.
 */
export function sniffNonImageType(bytes: Uint8Array): string | null {
  for (const signature of SIGNATURES) {
    if (startsWith(bytes, signature.bytes, signature.offset)) return signature.type;
  }
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === "ftyp" && HEIF_BRANDS.has(ascii(bytes, 8, 12)))
    return "image/heic";
  // "BM" alone is too common a start of text; the four reserved bytes after the size are zero
  if (startsWith(bytes, [0x42, 0x4d]) && startsWith(bytes, [0, 0, 0, 0], 6)) return "image/bmp";
  let start = 0;
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) start = 3;
  while (
    start < bytes.length &&
    (bytes[start] === 0x20 || (bytes[start]! >= 0x09 && bytes[start]! <= 0x0d))
  )
    start++;
  const head = ascii(bytes, start, Math.min(bytes.length, start + 16)).toLowerCase();
  if (
    head.startsWith("<!doctype html") ||
    head.startsWith("<html") ||
    head.startsWith("<head") ||
    head.startsWith("<body")
  ) {
    return "text/html";
  }
  if (head.startsWith("<svg")) return "image/svg+xml";
  if (head.startsWith("<?xml")) return "text/xml";
  if (head.startsWith("{") || head.startsWith("[")) return "application/json";
  if (isPrintableText(bytes.subarray(start))) return "text/plain";
  return null;
}
