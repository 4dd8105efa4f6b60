import type { AnalyzedRow, BatchAnalysis, RowVerdict } from "@/server/batches/input";

/**
 * An analysis as the worker sends it to the page: the rows as columns, each text column one string
 * with the end of every row's piece in a typed array. A structured clone of 100,000 row objects,
 * or JSON of them, cost the page one to two seconds to receive; these arrive in a few milliseconds,
 * and a row becomes an object only when the preview draws it.
 */
export type TPackedAnalysis = Omit<BatchAnalysis, "rows"> & { rows: TPackedRows };

type TPackedRows = {
  lines: Int32Array;
  verdicts: Uint8Array;
  products: TPackedTexts;
  urls: TPackedTexts;
  messages: TPackedTexts;
};
type TPackedTexts = { text: string; ends: Int32Array };

/** The rows of an analysis as the preview reads them: by index, and by verdict. */
export type TRowTable = {
  count: number;
  at: (index: number) => AnalyzedRow;
  /** the indexes of the rows with this verdict, in order */
  indexesOf: (verdict: RowVerdict) => Int32Array;
};

/** An analysis as the page shows it. */
export type TPreviewAnalysis = Omit<BatchAnalysis, "rows"> & { rows: TRowTable };

const VERDICTS: RowVerdict[] = ["ok", "error", "duplicate"];

export function packAnalysis(analysis: BatchAnalysis): TPackedAnalysis {
  const { rows, ...rest } = analysis;
  return {
    ...rest,
    rows: {
      lines: Int32Array.from(rows, (row) => row.line),
      verdicts: Uint8Array.from(rows, (row) => VERDICTS.indexOf(row.verdict)),
      products: packTexts(rows.map((row) => row.product)),
      urls: packTexts(rows.map((row) => row.url)),
      messages: packTexts(rows.map((row) => row.message ?? "")),
    },
  };
}

/** What to transfer rather than copy. */
export function transferablesOf(packed: TPackedAnalysis): ArrayBuffer[] {
  const { lines, verdicts, products, urls, messages } = packed.rows;
  return [lines, verdicts, products.ends, urls.ends, messages.ends].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

export function toPreviewAnalysis(packed: TPackedAnalysis): TPreviewAnalysis {
  const { lines, verdicts, products, urls, messages } = packed.rows;
  const byVerdict = new Map<RowVerdict, Int32Array>();
  return {
    ...packed,
    rows: {
      count: lines.length,
      at: (index) => ({
        line: lines[index]!,
        product: textAt(products, index),
        url: textAt(urls, index),
        verdict: VERDICTS[verdicts[index]!]!,
        message: textAt(messages, index) || null,
      }),
      indexesOf: (verdict) => {
        let indexes = byVerdict.get(verdict);
        if (!indexes) {
          const code = VERDICTS.indexOf(verdict);
          const found: number[] = [];
          for (let i = 0; i < verdicts.length; i++) if (verdicts[i] === code) found.push(i);
          indexes = Int32Array.from(found);
          byVerdict.set(verdict, indexes);
        }
        return indexes;
      },
    },
  };
}

function packTexts(texts: string[]): TPackedTexts {
  const ends = new Int32Array(texts.length);
  let end = 0;
  texts.forEach((text, i) => {
    end += text.length;
    ends[i] = end;
  });
  return { text: texts.join(""), ends };
}

function textAt(texts: TPackedTexts, index: number): string {
  return texts.text.slice(index === 0 ? 0 : texts.ends[index - 1], texts.ends[index]);
}
