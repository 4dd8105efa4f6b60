import { describe, expect, it } from "vitest";
import { analyzeBatchInput } from "./analyze-batch-input";
import { decodeInputBytes, decodeWindows1252, WINDOWS_1252_NOTE } from "./decode-input-bytes";

const utf8 = (text: string) => new TextEncoder().encode(text);
const bytes = (...parts: (number[] | Uint8Array | string)[]) =>
  new Uint8Array(parts.flatMap((part) => (typeof part === "string" ? [...utf8(part)] : [...part])));

// "Product Number;Image Src" then "ÄÖÜ-1;http://x/img/café.jpg" as Excel's "CSV (Comma
// delimited)" writes it on a German Windows: Windows-1252, semicolons, CRLF
const WINDOWS_CSV = bytes(
  "Product Number;Image Src\r\n",
  [0xc4, 0xd6, 0xdc],
  "-1;http://x/img/caf",
  [0xe9],
  ".jpg\r\n",
);

function utf16(text: string, endian: "le" | "be"): number[] {
  return [...text].flatMap((character) => {
    const unit = character.charCodeAt(0);
    return endian === "le" ? [unit & 0xff, unit >> 8] : [unit >> 8, unit & 0xff];
  });
}

describe("decodeInputBytes", () => {
  it("reads a Windows-1252 CSV from Excel as Windows-1252, and says so", () => {
    const decoded = decodeInputBytes(WINDOWS_CSV);
    expect(decoded).toMatchObject({ encoding: "windows-1252", note: WINDOWS_1252_NOTE });
    expect(decoded.text).toBe("Product Number;Image Src\r\nÄÖÜ-1;http://x/img/café.jpg\r\n");
    const analysis = analyzeBatchInput(decoded.text!, {
      source: "csv",
      readingNote: decoded.note,
    });
    expect(analysis.rows.map((row) => [row.product, row.url, row.verdict])).toEqual([
      ["ÄÖÜ-1", "http://x/img/café.jpg", "ok"],
    ]);
    expect(analysis.notes[0]).toBe(WINDOWS_1252_NOTE);
  });

  it("maps 0x80-0x9F as browsers do (€, curly quotes, dashes), not as Node's TextDecoder does", () => {
    const high = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    expect(decodeWindows1252(high)).toBe(
      "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ",
    );
    // the reason for the table: Node 20 decodes these bytes as C1 controls
    expect(new TextDecoder("windows-1252").decode(high).charCodeAt(0)).not.toBe(0x20ac);
    // the rest is Latin-1, one character per byte
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = decodeWindows1252(all);
    expect(text).toHaveLength(256);
    expect(text.slice(0xa0)).toBe(String.fromCharCode(...all.subarray(0xa0)));
    expect(text.slice(0, 0x80)).toBe(String.fromCharCode(...all.subarray(0, 0x80)));
  });

  it("reads strict UTF-8 as UTF-8 with no note, and drops its byte order mark", () => {
    const text = "SKU\tURL\n产品-7\thttp://x/a.jpg\n";
    expect(decodeInputBytes(utf8(text))).toMatchObject({ text, encoding: "utf-8", note: null });
    expect(decodeInputBytes(bytes([0xef, 0xbb, 0xbf], text))).toMatchObject({
      text,
      encoding: "utf-8",
    });
  });

  it("reads UTF-16 with a byte order mark, little- and big-endian (Excel's Unicode Text)", () => {
    const text = "Product\tImage\r\nÄÖÜ-1\thttp://x/€.jpg\r\n";
    expect(decodeInputBytes(bytes([0xff, 0xfe], utf16(text, "le")))).toMatchObject({
      text,
      encoding: "utf-16le",
      note: null,
    });
    expect(decodeInputBytes(bytes([0xfe, 0xff], utf16(text, "be")))).toMatchObject({
      text,
      encoding: "utf-16be",
    });
  });

  it.each([
    [
      "an .xlsx",
      bytes(
        [0x50, 0x4b, 0x03, 0x04, 20, 0, 6, 0],
        "[Content_Types].xml",
        [0, 1, 2],
        "xl/workbook.xml",
      ),
      /^This file is an Excel workbook \(\.xlsx\), not a CSV file\. .*CSV UTF-8/,
    ],
    [
      "an .xls",
      bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]),
      /^This file is an Excel 97-2003 workbook \(\.xls\), not text\. .*Save As/,
    ],
    [
      "an .ods",
      bytes(
        [0x50, 0x4b, 0x03, 0x04, 10, 0],
        "mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
      ),
      /OpenDocument spreadsheet/,
    ],
    [
      "a ZIP",
      bytes([0x50, 0x4b, 0x03, 0x04, 10, 0], "photos/a.jpg"),
      /^This file is a ZIP archive, not text\./,
    ],
    [
      "a PDF",
      bytes("%PDF-1.7\n", [0xe2, 0xe3, 0xcf, 0xd3]),
      /^This file is a PDF document, not text\./,
    ],
    ["a PNG", bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), /^This file is a PNG image/],
    ["a JPEG", bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), /^This file is a JPEG image/],
    [
      "random bytes",
      bytes([0x13, 0x00, 0xfe, 0x77, 0x00, 0x41]),
      /^This file is not text \(it holds binary data\)\./,
    ],
  ])("refuses %s in one sentence", (_, input, refusal) => {
    const decoded = decodeInputBytes(input);
    expect(decoded.text).toBeNull();
    expect(decoded.refusal).toMatch(refusal);
  });

  it("reads an empty file as empty text", () => {
    expect(decodeInputBytes(new Uint8Array())).toMatchObject({ text: "", encoding: "utf-8" });
  });
});

describe("analyzing text that is not text", () => {
  it("refuses NUL characters in one sentence instead of a row error per line", () => {
    const text = "PK\u0003\u0004\u0000\u0000xl/workbook.xml\n".repeat(500);
    const analysis = analyzeBatchInput(text, { source: "csv" });
    expect(analysis.fatal).toMatch(/^the input is not text \(it contains NUL characters\)/);
    expect(analysis.rows).toEqual([]);
  });
});
