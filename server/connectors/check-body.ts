import fs from "node:fs";
import { ConnectorError, excerpt } from "./connector-error";

const JSON_ERROR_PROBE_BYTES = 64 * 1024;

/** A login or captive page where data was expected: by its type or by its first bytes. */
export function looksLikeHtml(firstBytes: Uint8Array, contentType: string | null): boolean {
  if (contentType?.includes("html")) return true;
  const start = Buffer.from(firstBytes)
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .trimStart();
  return /^<(!doctype|html|head|body)/i.test(start);
}

/**
 * Looks at the start of a downloaded "CSV" for what systems send instead: an HTML page (a login
 * or captive page) or a JSON error document (Metabase streams errors as 200). Throws if so.
 */
export function assertCsvBody(args: {
  path: string;
  firstBytes: Uint8Array;
  bytes: number;
  system: string;
}): void {
  if (looksLikeHtml(args.firstBytes, null)) {
    throw new ConnectorError(
      `${args.system} answered with an HTML page instead of a CSV (a login page?)`,
    );
  }
  const start = Buffer.from(args.firstBytes)
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .trimStart();
  if (!start.startsWith("{")) return;
  if (args.bytes > JSON_ERROR_PROBE_BYTES) return;
  let document: unknown;
  try {
    document = JSON.parse(fs.readFileSync(args.path, "utf8"));
  } catch {
    return;
  }
  if (document && typeof document === "object" && !Array.isArray(document)) {
    const fields = document as Record<string, unknown>;
    const message = [fields.error, fields.message, fields.error_message].find(
      (v) => typeof v === "string",
    );
    if (message !== undefined || "error" in fields) {
      throw new ConnectorError(
        `${args.system} reported an error instead of the CSV: ${excerpt(String(message ?? JSON.stringify(fields.error)))}`,
        { isRetryable: true },
      );
    }
  }
}
