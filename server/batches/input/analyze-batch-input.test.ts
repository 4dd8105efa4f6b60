import { describe, expect, it } from "vitest";
import { analyzeBatchInput } from "./analyze-batch-input";
import { generateLargePaste } from "./generate-large-paste";
import type { AnalyzedRow } from "./types";

const A = "https://example.com/a.jpg";
const B = "https://example.com/b.jpg";
const C = "https://example.com/c.jpg";

function summarizeRows(rows: AnalyzedRow[]) {
  return rows.map((row) => [row.line, row.product, row.url, row.verdict]);
}

describe("analyzeBatchInput: tab-separated paste", () => {
  it("reads a paste with a header row", () => {
    const analysis = analyzeBatchInput(`Product Number\tImage Src\nP1\t${A}\nP2\t${B}`);
    expect(analysis.fatal).toBeNull();
    expect(analysis.format).toEqual({ source: "paste", delimiter: "\t", hasHeader: true });
    expect(summarizeRows(analysis.rows)).toEqual([
      [2, "P1", A, "ok"],
      [3, "P2", B, "ok"],
    ]);
  });

  it("reads a paste without a header row as product then URL", () => {
    const analysis = analyzeBatchInput(`P1\t${A}\nP2\t${B}\n`);
    expect(analysis.format.hasHeader).toBe(false);
    expect(summarizeRows(analysis.rows)).toEqual([
      [1, "P1", A, "ok"],
      [2, "P2", B, "ok"],
    ]);
  });

  it("handles CRLF, a leading BOM and trailing empty lines", () => {
    // The header is quoted because String#trim already drops a BOM from an unquoted first cell;
    // only a BOM in front of a quote would break the header if it were left in.
    const analysis = analyzeBatchInput(`\uFEFF"SKU"\tURL\r\nP1\t${A}\r\nP2\t${B}\r\n\r\n\r\n`);
    expect(analysis.format.hasHeader).toBe(true);
    expect(analysis.totals).toEqual({
      rows: 2,
      ok: 2,
      errors: 0,
      duplicates: 0,
      products: 2,
      images: 2,
    });
  });

  it("keeps an Excel-quoted cell with newlines, tabs and quotes in one row", () => {
    // Excel puts cells that contain a line break in quotes; Alt+Enter between URLs is common.
    const analysis = analyzeBatchInput(`P1\t"${A}\r\n${B}"\r\nP2\t${C}\r\n"P ""3""\tx"\t${C}`);
    expect(summarizeRows(analysis.rows)).toEqual([
      [1, "P1", A, "ok"],
      [1, "P1", B, "ok"],
      [2, "P2", C, "ok"],
      [3, 'P "3"\tx', C, "error"],
    ]);
  });

  it("trims cells and skips blank records without counting them", () => {
    const analysis = analyzeBatchInput(`\n  P1 \t  ${A}  \n\t\n   \n P2\t${B}`);
    expect(summarizeRows(analysis.rows)).toEqual([
      [2, "P1", A, "ok"],
      [5, "P2", B, "ok"],
    ]);
    expect(analysis.totals.errors).toBe(0);
  });

  it("records the source it was told", () => {
    expect(analyzeBatchInput(`P1\t${A}`, { source: "csv" }).format.source).toBe("csv");
  });
});

describe("analyzeBatchInput: CSV upload", () => {
  it("reads comma-separated CSV with a header", () => {
    const analysis = analyzeBatchInput(`Product Number,Image Src\nP1,${A}\n`, { source: "csv" });
    expect(analysis.format).toEqual({ source: "csv", delimiter: ",", hasHeader: true });
    expect(summarizeRows(analysis.rows)).toEqual([[2, "P1", A, "ok"]]);
  });

  it("reads semicolon-separated CSV with a header", () => {
    const analysis = analyzeBatchInput(`Product Number;Image Src\r\nP1;${A}\r\n`, {
      source: "csv",
    });
    expect(analysis.format.delimiter).toBe(";");
    expect(summarizeRows(analysis.rows)).toEqual([[2, "P1", A, "ok"]]);
  });

  it('reads an Excel "CSV UTF-8" file with a BOM before a quoted header', () => {
    const csv = `\uFEFF"Product Number","Image Src"\r\n"P1","${A}"\r\n`;
    const analysis = analyzeBatchInput(csv, { source: "csv" });
    expect(analysis.format.hasHeader).toBe(true);
    expect(summarizeRows(analysis.rows)).toEqual([[2, "P1", A, "ok"]]);
  });

  it("reads comma-separated CSV without a header", () => {
    const analysis = analyzeBatchInput(`P1,${A}\nP2,${B}`, { source: "csv" });
    expect(analysis.format).toEqual({ source: "csv", delimiter: ",", hasHeader: false });
    expect(analysis.totals.ok).toBe(2);
  });

  it("reads semicolon-separated CSV without a header", () => {
    const analysis = analyzeBatchInput(`P1;${A}\nP2;${B}`, { source: "csv" });
    expect(analysis.format).toEqual({ source: "csv", delimiter: ";", hasHeader: false });
    expect(analysis.totals.ok).toBe(2);
  });

  it("reads quoted CSV cells with delimiters and doubled quotes", () => {
    const analysis = analyzeBatchInput(`"SKU","Image URL"\n"P1","${A},${B}"\n"P""2",${C}`);
    expect(summarizeRows(analysis.rows)).toEqual([
      [2, "P1", A, "ok"],
      [2, "P1", B, "ok"],
      [3, 'P"2', C, "error"],
    ]);
  });

  it("uses header columns in any order and ignores extra columns", () => {
    const csv = `Title,image_url,Price, Product ID \nShoe,${A},10,P1\nHat,${B},5,P2`;
    const analysis = analyzeBatchInput(csv, { source: "csv" });
    expect(summarizeRows(analysis.rows)).toEqual([
      [2, "P1", A, "ok"],
      [3, "P2", B, "ok"],
    ]);
  });

  it("does not take a first row whose URL is real as a header", () => {
    const analysis = analyzeBatchInput(`sku,${A}\nP2,${B}`);
    expect(analysis.format.hasHeader).toBe(false);
    expect(summarizeRows(analysis.rows)[0]).toEqual([1, "sku", A, "ok"]);
  });
});

describe("analyzeBatchInput: several URLs per cell", () => {
  it("splits on spaces, commas before http and pipes, all on the same line", () => {
    const analysis = analyzeBatchInput(`P1\t${A} ${B}, ${C}|https://example.com/d.jpg`);
    expect(analysis.rows.map((row) => [row.line, row.url])).toEqual([
      [1, A],
      [1, B],
      [1, C],
      [1, "https://example.com/d.jpg"],
    ]);
    expect(analysis.products).toEqual([
      { product: "P1", images: 4, duplicates: 0, errors: 0, firstLine: 1 },
    ]);
  });

  it("keeps a comma inside a query string as part of the URL", () => {
    const url = "https://example.com/a.jpg?crop=0,0,100,100";
    const analysis = analyzeBatchInput(`P1;${url}`);
    expect(summarizeRows(analysis.rows)).toEqual([[1, "P1", url, "ok"]]);
  });
});

describe("analyzeBatchInput: one column per image", () => {
  it("reads numbered image columns of a header, left to right, and skips their empty cells", () => {
    const analysis = analyzeBatchInput(
      `SKU\tImage 1\tNotes\tImage 2\tImage 3\nP1\t${A}\tfront first\t${B}\t\nP2\t\t\t${C}\tnope`,
    );
    expect(summarizeRows(analysis.rows)).toEqual([
      [2, "P1", A, "ok"],
      [2, "P1", B, "ok"],
      [3, "P2", C, "ok"],
      [3, "P2", "nope", "error"],
    ]);
    expect(analysis.totals).toMatchObject({ images: 3, errors: 1, products: 2 });
  });

  it("without a header reads further columns only where they hold an http URL", () => {
    const analysis = analyzeBatchInput(`P1\t${A}\t${B}\tblue, large\nP2\t${C}\t\t`);
    expect(summarizeRows(analysis.rows)).toEqual([
      [1, "P1", A, "ok"],
      [1, "P1", B, "ok"],
      [2, "P2", C, "ok"],
    ]);
    expect(analysis.notes).toEqual([
      "URLs in column C were read as more images of their rows (1 cell): check that they are pictures, not product pages.",
    ]);
    expect(analyzeBatchInput(`P1\t${A}`).notes).toEqual([]);
  });

  it("notes URLs with spaces, which pass but may hold a note after the URL", () => {
    const analysis = analyzeBatchInput(`P1\thttps://a.example/Front view.jpg\nP2\t${A}`);
    expect(analysis.totals.images).toBe(2);
    expect(analysis.notes).toEqual([
      "1 URL contains a space (line 1): fine inside a file name, but text after a URL would become part of it.",
    ]);
  });

  it("calls a URL repeated on its own line a duplicate of that line's earlier URL", () => {
    const analysis = analyzeBatchInput(`SKU,Image 1,Image 2\nP1,${A},${A}`);
    expect(analysis.rows[1]).toMatchObject({
      verdict: "duplicate",
      message: "duplicate of a URL earlier on this line",
    });
  });

  it("says which URL columns a header leaves out", () => {
    const analysis = analyzeBatchInput(`SKU\tImage URL\tShop page\nP1\t${A}\t${B}`);
    expect(summarizeRows(analysis.rows)).toEqual([[2, "P1", A, "ok"]]);
    expect(analysis.notes).toEqual([
      "URLs in column C were not read: the header does not name it an image column (call them Image 2, Image 3… to include them).",
    ]);
  });

  it("still reports a row whose image cells are all empty", () => {
    const analysis = analyzeBatchInput(`SKU,Image 1,Image 2\nP1,,\nP2,${A},`);
    expect(summarizeRows(analysis.rows)).toEqual([
      [2, "P1", "", "error"],
      [3, "P2", A, "ok"],
    ]);
  });
});

describe("analyzeBatchInput: validation", () => {
  it("reports each kind of row problem in plain words", () => {
    const longUrl = `https://example.com/${"a".repeat(2100)}`;
    const analysis = analyzeBatchInput(
      [
        `P 1\t${A}`,
        `P2\tftp://example.com/a.jpg`,
        `P3\t${longUrl}`,
        `P4\t`,
        `\t${A}`,
        `${"x".repeat(65)}\t${A}`,
        `P/7\tnope`,
      ].join("\n"),
    );
    expect(analysis.rows.map((row) => [row.line, row.verdict, row.message])).toEqual([
      [1, "error", "product number contains a space: only letters, digits, - and _ are allowed"],
      [2, "error", "not an http or https URL"],
      [3, "error", "URL longer than 2048 characters"],
      [4, "error", "missing image URL"],
      [5, "error", "missing product number"],
      [6, "error", "product number longer than 64 characters"],
      [
        7,
        "error",
        "product number contains “/”: only letters, digits, - and _ are allowed; not an http or https URL",
      ],
    ]);
    expect(analysis.fatal).toBeNull();
    expect(analysis.totals.errors).toBe(7);
  });

  it("takes product numbers in any script, one product whether an accent is composed or not", () => {
    const analysis = analyzeBatchInput(
      [
        `ÄÖÜ-1\t${A}`,
        // the same product as pasted from macOS: A, O and U with combining diaeresis (NFD)
        `A\u0308O\u0308U\u0308-1\t${A}`,
        `A\u0308O\u0308U\u0308-1\t${B}`,
        `产品-7\t${A}`,
        `Ελληνικά_3\t${A}`,
        `"XL"-P9\t${A}`,
      ].join("\n"),
    );
    expect(analysis.rows.map((row) => [row.product, row.verdict, row.message])).toEqual([
      ["ÄÖÜ-1", "ok", null],
      ["ÄÖÜ-1", "duplicate", "duplicate of line 1 (same product and URL)"],
      ["ÄÖÜ-1", "ok", null],
      ["产品-7", "ok", null],
      ["Ελληνικά_3", "ok", null],
      // a clipboard cell that starts with a quote keeps it, and the refusal names it
      [
        '"XL"-P9',
        "error",
        'product number contains “"”: only letters, digits, - and _ are allowed',
      ],
    ]);
    expect(analysis.products.map((p) => p.product)).toEqual([
      "ÄÖÜ-1",
      "产品-7",
      "Ελληνικά_3",
      '"XL"-P9',
    ]);
  });

  it("marks a repeated URL within a product as a duplicate of its first line", () => {
    const analysis = analyzeBatchInput(`P1\t${A}\nP1\t${B}\nP1\t${A}\nP2\t${A}\nP1\t${B} ${B}`);
    expect(analysis.rows.map((row) => [row.line, row.verdict, row.message])).toEqual([
      [1, "ok", null],
      [2, "ok", null],
      [3, "duplicate", "duplicate of line 1 (same product and URL)"],
      [4, "ok", null],
      [5, "duplicate", "duplicate of line 2 (same product and URL)"],
      [5, "duplicate", "duplicate of line 2 (same product and URL)"],
    ]);
  });

  it("treats spellings of the same address as duplicates", () => {
    const analysis = analyzeBatchInput(
      `P1\thttps://Example.com/a.jpg\nP1\thttps://example.com:443/a.jpg`,
    );
    expect(analysis.rows[1]?.verdict).toBe("duplicate");
  });

  it("does not call an error row a duplicate", () => {
    const analysis = analyzeBatchInput(`P1\tnope\nP1\tnope`);
    expect(analysis.rows.map((row) => row.verdict)).toEqual(["error", "error"]);
  });

  it("summarises products in order of first appearance and totals the rows", () => {
    const analysis = analyzeBatchInput(
      `P2\tnope\nP1\t${A}\nP2\t${A}\nP1\t${A}\nP2\t${B}\n\tnope\nBAD!\t${A}`,
    );
    expect(analysis.products).toEqual([
      { product: "P2", images: 2, duplicates: 0, errors: 1, firstLine: 1 },
      { product: "P1", images: 1, duplicates: 1, errors: 0, firstLine: 2 },
      { product: "BAD!", images: 0, duplicates: 0, errors: 1, firstLine: 7 },
    ]);
    expect(analysis.totals).toEqual({
      rows: 7,
      ok: 3,
      errors: 3,
      duplicates: 1,
      products: 2,
      images: 3,
    });
  });
});

describe("analyzeBatchInput: whole-input problems", () => {
  it.each(["", "   \n\t\r\n", "\uFEFF"])("rejects empty input %j", (text) => {
    const analysis = analyzeBatchInput(text);
    expect(analysis.fatal).toBe("the input is empty");
    expect(analysis.rows).toEqual([]);
  });

  it("rejects a single column of values", () => {
    const analysis = analyzeBatchInput(`P1\nP2\n`);
    expect(analysis.fatal).toBe(
      "no recognisable columns: expected two columns, product number and image URL",
    );
  });

  it("rejects a header with a product column but no recognisable URL column", () => {
    const analysis = analyzeBatchInput(`SKU,Picture\nP1,${A}`);
    expect(analysis.fatal).toBe(
      "the header row has no image URL column (expected Image Src, Image URL, ImageURL, URL or Image)",
    );
  });

  it("rejects a header with a URL column but no recognisable product column", () => {
    const analysis = analyzeBatchInput(`Handle\tImage Src\nP1\t${A}`);
    expect(analysis.fatal).toBe(
      "the header row has no product number column (expected Product Number, Product, ProductID or SKU)",
    );
  });

  it("rejects a header with nothing below it", () => {
    expect(analyzeBatchInput("SKU,URL\n\n").fatal).toBe("there are no rows below the header");
  });

  it("rejects more images than the limit and names both numbers", () => {
    const analysis = analyzeBatchInput(`P1\t${A} ${B} ${C}`, { maxRows: 2 });
    expect(analysis.fatal).toBe("too many images: 3 (the limit is 2 per batch)");
  });

  it("accepts exactly the limit", () => {
    expect(analyzeBatchInput(`P1\t${A} ${B}`, { maxRows: 2 }).fatal).toBeNull();
  });

  it("counts only unique valid images against the limit", () => {
    expect(analyzeBatchInput(`P1\t${A} ${A}|nope`, { maxRows: 1 }).fatal).toBeNull();
  });

  it("applies the default limit of 100,000 images with thousands separators", () => {
    const analysis = analyzeBatchInput(generateLargePaste(100_001));
    expect(analysis.fatal).toBe("too many images: 100,001 (the limit is 100,000 per batch)");
  });
});

describe("analyzeBatchInput: size", () => {
  it("analyzes 100,000 pasted rows completely", () => {
    const text = generateLargePaste(100_000);
    expect(text.length).toBeGreaterThan(9_000_000);
    const analysis = analyzeBatchInput(text);
    expect(analysis.fatal).toBeNull();
    expect(analysis.totals).toEqual({
      rows: 100_000,
      ok: 100_000,
      errors: 0,
      duplicates: 0,
      products: 33_334,
      images: 100_000,
    });
    expect(analysis.rows.at(-1)?.line).toBe(100_001);
  });
});
