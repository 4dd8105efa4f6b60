import Papa from "papaparse";
import { describe, expect, it } from "vitest";

import { buildManifestCsv, buildManifestJson, guardText, type ManifestRow } from "./manifest";

function row(overrides: Partial<ManifestRow> = {}): ManifestRow {
  return {
    product: "SKU-1",
    position: 1,
    sourceUrl: "https://cdn.example.com/a.jpg",
    fileName: "SKU-1/SKU-1_001.jpg",
    bytes: 61_440,
    sha256: "ab".repeat(32),
    contentType: "image/jpeg",
    status: "downloaded",
    attempts: 1,
    error: null,
    line: 2,
    ...overrides,
  };
}

function parseCsv(csv: string): string[][] {
  const result = Papa.parse<string[]>(csv, { skipEmptyLines: true });
  expect(result.errors).toEqual([]);
  return result.data;
}

const HEADER =
  "product,position,source_url,file_name,bytes,sha256,content_type,status,attempts,error,line";

describe("buildManifestCsv", () => {
  it("starts with the fixed header and ends every record with CRLF", () => {
    const csv = buildManifestCsv([row(), row({ position: 2 })]);
    expect(csv.startsWith(`${HEADER}\r\n`)).toBe(true);
    expect(csv.endsWith("\r\n")).toBe(true);
    expect(csv.split("\r\n")).toHaveLength(4);
  });

  it("writes only the header for no rows", () => {
    expect(buildManifestCsv([])).toBe(`${HEADER}\r\n`);
  });

  it("writes numbers plainly and nulls as empty cells", () => {
    const csv = buildManifestCsv([
      row({
        fileName: null,
        bytes: null,
        sha256: null,
        contentType: null,
        status: "failed",
        attempts: 3,
        error: "HTTP 404",
        line: null,
      }),
      row({ position: 2, line: 14 }),
    ]);
    expect(csv.split("\r\n")[1]).toBe(
      "SKU-1,1,https://cdn.example.com/a.jpg,,,,,failed,3,HTTP 404,",
    );
    expect(csv.split("\r\n")[2]).toMatch(/,downloaded,1,,14$/);
  });

  it("quotes commas, quotes and line breaks per RFC 4180 so they round-trip", () => {
    const error = 'timeout, then "reset"\r\nsecond line\nthird';
    const sourceUrl = 'https://example.com/img?a=1,2&b="x"';
    const csv = buildManifestCsv([row({ error, sourceUrl, status: "failed" })]);
    expect(csv).toContain('"timeout, then ""reset""\r\nsecond line\nthird"');
    const [, record] = parseCsv(csv);
    expect(record?.[9]).toBe(error);
    expect(record?.[2]).toBe(sourceUrl);
  });

  it.each([
    ['=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'],
    ["=1", "'=1"],
    ["+1+1", "'+1+1"],
    ["-2+3", "'-2+3"],
    ["-1+2", "'-1+2"],
    // Excel reads these as =-P1 (minus the cell P1) and =-abc (#NAME?), as it does when typed
    ["-P1", "'-P1"],
    ["-SKU_1", "'-SKU_1"],
    ["+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["@home", "'@home"],
    ["\tindent", "'\tindent"],
    ["\rcarriage", "'\rcarriage"],
    ["=cmd\n|' /C calc'!A0", "'=cmd\n|' /C calc'!A0"],
    // plain numbers are read as the same numbers, and a lone sign as text: nothing runs
    ["-12", "-12"],
    ["+3.5", "+3.5"],
    ["-1e5", "-1e5"],
    ["-.5", "-.5"],
    ["-", "-"],
    ["SKU-1", "SKU-1"],
    ["a=b", "a=b"],
    ["404 Not Found", "404 Not Found"],
    ["", ""],
  ])("guards %j as %j in the text columns", (value, expected) => {
    expect(guardText(value)).toBe(expected);
    const csv = buildManifestCsv([row({ error: value, contentType: value, product: value })]);
    const [, record] = parseCsv(csv);
    expect(record?.[0]).toBe(expected);
    expect(record?.[6]).toBe(expected);
    expect(record?.[9]).toBe(expected);
  });

  it("never changes the file_name and source_url columns, which must match the ZIP and the sources", () => {
    const csv = buildManifestCsv([
      row({ product: "-P1", fileName: "-P1/-P1_001.jpg", sourceUrl: "https://x.test/-P1.jpg" }),
      row({ product: "+P2", fileName: "+P2_001.jpg", position: 2 }),
    ]);
    const [, first, second] = parseCsv(csv);
    expect(first?.slice(0, 4)).toEqual(["'-P1", "1", "https://x.test/-P1.jpg", "-P1/-P1_001.jpg"]);
    expect(second?.[3]).toBe("+P2_001.jpg");
  });

  it("leaves http(s) URLs and harmless text unchanged", () => {
    const sourceUrl = "https://example.com/p?x=-1&y=@z&f==g";
    const csv = buildManifestCsv([row({ sourceUrl, error: "a=b" })]);
    const [, record] = parseCsv(csv);
    expect(record?.[2]).toBe(sourceUrl);
    expect(record?.[9]).toBe("a=b");
  });

  it("accepts any iterable of rows", () => {
    function* rows() {
      yield row({ position: 1 });
      yield row({ position: 2 });
    }
    expect(parseCsv(buildManifestCsv(rows())).map((record) => record[1])).toEqual([
      "position",
      "1",
      "2",
    ]);
  });
});

describe("buildManifestJson", () => {
  const meta = {
    jobId: "job_1",
    jobTitle: "Spring catalogue",
    generatedAt: "2025-03-01T10:00:00.000Z",
  };

  it("wraps camelCase items under the job metadata", () => {
    const rows = [
      row(),
      row({ position: 2, status: "failed", fileName: null, bytes: null, error: "HTTP 500" }),
    ];
    const parsed = JSON.parse(buildManifestJson(meta, rows)) as unknown;
    expect(parsed).toEqual({
      job: {
        id: "job_1",
        title: "Spring catalogue",
        generatedAt: "2025-03-01T10:00:00.000Z",
        itemCount: 2,
      },
      items: rows,
    });
  });

  it("includes the product only for a per-product manifest", () => {
    const withProduct = JSON.parse(buildManifestJson({ ...meta, product: "SKU-1" }, [])) as {
      job: Record<string, unknown>;
    };
    const without = JSON.parse(buildManifestJson(meta, [])) as { job: Record<string, unknown> };
    expect(withProduct.job.product).toBe("SKU-1");
    expect("product" in without.job).toBe(false);
  });

  it("keeps a fixed key order and drops properties that are not part of the manifest", () => {
    const leaky = { ...row(), internalId: "secret", productId: 7 } as ManifestRow;
    const json = buildManifestJson(meta, [leaky]);
    expect(json).not.toContain("secret");
    const parsed = JSON.parse(json) as { items: Array<Record<string, unknown>> };
    expect(Object.keys(parsed.items[0] ?? {})).toEqual([
      "product",
      "position",
      "sourceUrl",
      "fileName",
      "bytes",
      "sha256",
      "contentType",
      "status",
      "attempts",
      "error",
      "line",
    ]);
  });

  it("is pretty-printed with a trailing newline", () => {
    const json = buildManifestJson(meta, [row()]);
    expect(json).toContain('\n  "job": {\n    "id": "job_1"');
    expect(json.endsWith("}\n")).toBe(true);
  });
});

describe("manifest pieces", () => {
  it("join to exactly what JSON.stringify writes for the whole document", () => {
    const meta = { jobId: "j1", jobTitle: "Batch", generatedAt: "2026-11-23T10:00:00.000Z" };
    for (const rows of [[], [row()], [row(), row({ position: 2, error: 'say "x"\nnext' })]]) {
      const expected = `${JSON.stringify(
        {
          job: { id: "j1", title: "Batch", generatedAt: meta.generatedAt, itemCount: rows.length },
          items: rows,
        },
        null,
        2,
      )}\n`;
      expect(buildManifestJson(meta, rows)).toBe(expected);
    }
  });
});
