import "server-only";
import { decodeInputBytes } from "@/server/batches/input";

/** What a create or analyze request may carry: pasted or uploaded text, or a file's bytes. */
export type TBatchInput = { source: "paste" | "csv" } & (
  { text: string; bytes?: undefined } | { bytes: Uint8Array; text?: undefined }
);

/** The input as text, read from bytes the way the browser reads an upload; or why it is not text. */
export function readBatchInput(
  input: TBatchInput,
): { text: string; note: string | null; refusal: null } | { refusal: string } {
  if (input.bytes === undefined) return { text: input.text, note: null, refusal: null };
  const decoded = decodeInputBytes(input.bytes);
  if (decoded.refusal !== null) return { refusal: decoded.refusal };
  return { text: decoded.text, note: decoded.note, refusal: null };
}
