import "server-only";
import { readUploadBytes } from "@/server/batches/input";

/** What a create or analyze request may carry: pasted or uploaded text, or a file's bytes. */
export type TBatchInput = { source: "paste" | "csv" } & (
  | { text: string; bytes?: undefined; entry?: undefined }
  // `entry`: which spreadsheet of an uploaded ZIP to read
  | { bytes: Uint8Array; text?: undefined; entry?: string }
);

/**
 * The input as text, read from bytes the way the browser reads an upload (a ZIP is opened and its
 * spreadsheet read); or why it cannot be read.
 */
export async function readBatchInput(
  input: TBatchInput,
): Promise<{ text: string; note: string | null; refusal: null } | { refusal: string }> {
  if (input.bytes === undefined) return { text: input.text, note: null, refusal: null };
  const read = await readUploadBytes(input.bytes, { entry: input.entry });
  if (read.refusal !== null) return { refusal: read.refusal };
  return { text: read.text, note: read.note, refusal: null };
}
