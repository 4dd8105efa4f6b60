import "server-only";
import { analyzeBatchInput, type BatchAnalysis } from "@/server/batches/input";
import { readBatchInput, type TBatchInput } from "./read-batch-input";

/**
 * What the New batch page's Analyze shows, for scripts: every entry's verdict, the products, the
 * totals and the notes, exactly as a create of the same input would judge it. Nothing is stored.
 */
export async function analyzeBatch(input: TBatchInput): Promise<BatchAnalysis> {
  const read = await readBatchInput(input);
  if (read.refusal !== null) {
    const delimiter = input.source === "csv" ? "," : "\t";
    return {
      rows: [],
      products: [],
      totals: { rows: 0, ok: 0, errors: 0, duplicates: 0, products: 0, images: 0 },
      format: { source: input.source, delimiter, hasHeader: false },
      fatal: read.refusal,
      notes: [],
    };
  }
  return analyzeBatchInput(read.text, { source: input.source, readingNote: read.note });
}
