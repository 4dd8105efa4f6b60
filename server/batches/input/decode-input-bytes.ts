/**
 * Turns an uploaded file's bytes into text the same way in the browser and on the server: a byte
 * order mark decides (UTF-8, UTF-16 LE or BE); otherwise the bytes are read as UTF-8 if they are
 * valid UTF-8, and as Windows-1252 if not, which is what Excel's "CSV (Comma delimited)" writes on
 * Windows. Files that are not text at all (a workbook, a PDF, a picture) are refused in one
 * sentence instead of becoming thousands of row errors.
 */

export type TInputEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export type TDecodedInput =
  | { text: string; encoding: TInputEncoding; note: string | null; refusal: null }
  | { text: null; encoding: null; note: null; refusal: string };

export const WINDOWS_1252_NOTE =
  "The file is not UTF-8, so it was read as Windows-1252 (what Excel's “CSV (Comma delimited)” writes on Windows): check that accented letters look right below, or save it as “CSV UTF-8” instead.";

// Windows-1252 is Latin-1 except for 0x80-0x9F, which hold €, curly quotes, dashes, Š, Ž… (the
// WHATWG Encoding Standard's index; its five unassigned bytes stay the C1 controls). Node 20's
// TextDecoder("windows-1252") decodes these 32 bytes as C1 controls while browsers use this
// table, so the table is applied here and both sides read a file alike.
const WINDOWS_1252_HIGH = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
  0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
  0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

type TSignature = { bytes: (number | null)[]; describe: (head: Uint8Array) => string };

const SAVE_AS_CSV =
  "In the spreadsheet choose File › Save As (or Download) › “CSV UTF-8”, and upload that file, or copy the two columns and paste them here.";
const NOT_A_TABLE = "Upload the list as a CSV file, or copy the two columns and paste them here.";

// First bytes of files people pick by mistake; null matches any byte.
const SIGNATURES: TSignature[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], describe: describeZip },
  {
    bytes: [0x50, 0x4b, 0x05, 0x06],
    describe: () => `This file is a ZIP archive, not text. ${NOT_A_TABLE}`,
  },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    describe: () => `This file is an Excel 97-2003 workbook (.xls), not text. ${SAVE_AS_CSV}`,
  },
  {
    bytes: [0x25, 0x50, 0x44, 0x46, 0x2d],
    describe: () => `This file is a PDF document, not text. ${NOT_A_TABLE}`,
  },
  {
    bytes: [0x89, 0x50, 0x4e, 0x47],
    describe: () => `This file is a PNG image, not text. ${NOT_A_TABLE}`,
  },
  {
    bytes: [0xff, 0xd8, 0xff],
    describe: () => `This file is a JPEG image, not text. ${NOT_A_TABLE}`,
  },
  {
    bytes: [0x47, 0x49, 0x46, 0x38],
    describe: () => `This file is a GIF image, not text. ${NOT_A_TABLE}`,
  },
  {
    bytes: [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50],
    describe: () => `This file is a WebP image, not text. ${NOT_A_TABLE}`,
  },
  {
    bytes: [0x1f, 0x8b],
    describe: () => `This file is compressed (gzip), not text. ${NOT_A_TABLE}`,
  },
];

const NOT_TEXT = `This file is not text (it holds binary data). ${NOT_A_TABLE}`;

export function decodeInputBytes(bytes: Uint8Array): TDecodedInput {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) return decoded(decodeUtf8(bytes.subarray(3)), "utf-8");
  if (startsWith(bytes, [0xff, 0xfe]))
    return decoded(decodeWith("utf-16le", bytes.subarray(2)), "utf-16le");
  if (startsWith(bytes, [0xfe, 0xff]))
    return decoded(decodeWith("utf-16be", bytes.subarray(2)), "utf-16be");

  for (const signature of SIGNATURES) {
    if (startsWith(bytes, signature.bytes)) return refused(signature.describe(bytes));
  }
  // no text encoding without a byte order mark has NUL bytes; every binary format does
  if (bytes.includes(0)) return refused(NOT_TEXT);

  try {
    return decoded(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes),
      "utf-8",
    );
  } catch {
    const text = decodeWindows1252(bytes);
    return { text, encoding: "windows-1252", note: WINDOWS_1252_NOTE, refusal: null };
  }
}

export function decodeWindows1252(bytes: Uint8Array): string {
  // as UTF-16LE code units, decoded by the platform in one call: a string built a character at a
  // time would take seconds for a 64 MB file
  const units = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const unit = byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH[byte - 0x80]! : byte;
    units[i * 2] = unit & 0xff;
    units[i * 2 + 1] = unit >> 8;
  }
  return decodeWith("utf-16le", units);
}

function decodeUtf8(bytes: Uint8Array): string {
  return decodeWith("utf-8", bytes);
}

function decodeWith(encoding: "utf-8" | "utf-16le" | "utf-16be", bytes: Uint8Array): string {
  // the mark, if any, was taken off above; a second one would be content
  return new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes);
}

function decoded(text: string, encoding: TInputEncoding): TDecodedInput {
  return { text, encoding, note: null, refusal: null };
}

function refused(refusal: string): TDecodedInput {
  return { text: null, encoding: null, note: null, refusal };
}

function startsWith(bytes: Uint8Array, prefix: (number | null)[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((byte, i) => byte === null || bytes[i] === byte);
}

/** XLSX, ODS and DOCX files are ZIP archives; the names of their first entries tell them apart. */
function describeZip(bytes: Uint8Array): string {
  const head = decodeWindows1252(bytes.subarray(0, 65_536));
  if (head.includes("xl/"))
    return `This file is an Excel workbook (.xlsx), not a CSV file. ${SAVE_AS_CSV}`;
  if (head.includes("opendocument.spreadsheet"))
    return `This file is an OpenDocument spreadsheet (.ods), not a CSV file. ${SAVE_AS_CSV}`;
  if (head.includes("word/")) return `This file is a Word document, not text. ${NOT_A_TABLE}`;
  if (head.includes("[Content_Types].xml"))
    return `This file is an Office document (a workbook?), not a CSV file. ${SAVE_AS_CSV}`;
  return `This file is a ZIP archive, not text. ${NOT_A_TABLE}`;
}
