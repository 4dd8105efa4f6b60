import { sniffImageType, sniffNonImageType } from "@/server/downloads/content-sniff";
import { ConnectorError, excerpt } from "./connector-error";
import { readJsonFile } from "./json-file";

const TEXT_TYPES = new Set(["text/plain", "text/html", "text/xml", "application/json"]);

function textStart(firstBytes: Uint8Array): string {
  return Buffer.from(firstBytes)
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .trimStart();
}

/** A login or captive page where data was expected: by its type or by its first bytes. */
export function looksLikeHtml(firstBytes: Uint8Array, contentType: string | null): boolean {
  if (contentType?.includes("html")) return true;
  return /^<(!doctype|html|head|body)/i.test(textStart(firstBytes));
}

function isUtf16(firstBytes: Uint8Array, charset: string | null | undefined): boolean {
  const [a, b] = firstBytes;
  return (
    (a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff) || !!charset?.startsWith("utf-16")
  );
}

/** What bytes are when they are not text at all (compressed data, an archive, an image). */
function describeBinary(firstBytes: Uint8Array, charset: string | null | undefined): string | null {
  const image = sniffImageType(firstBytes);
  if (image) return `an image (${image})`;
  const sniffed = sniffNonImageType(firstBytes);
  if (sniffed && !TEXT_TYPES.has(sniffed)) return sniffed;
  // UTF-16 text has a zero byte beside every ASCII character; other text has none
  if (!isUtf16(firstBytes, charset) && firstBytes.includes(0)) return "binary data";
  return null;
}

/** The message of a JSON error document: Metabase's `error`/`message`, Superset's `errors[0]`. */
function errorMessageOf(fields: Record<string, unknown>): string | null {
  for (const key of ["error", "message", "error_message"]) {
    if (typeof fields[key] === "string") return fields[key];
  }
  const first = Array.isArray(fields.errors) ? (fields.errors[0] as unknown) : undefined;
  if (
    first &&
    typeof first === "object" &&
    typeof (first as { message?: unknown }).message === "string"
  )
    return (first as { message: string }).message;
  if (fields.error !== undefined) return JSON.stringify(fields.error);
  return null;
}

/**
 * Looks at a downloaded "CSV" for what systems send instead: an HTML page (a login or captive
 * page), binary data, or a JSON document (Metabase streams errors as 200). Throws if so. A JSON
 * document of any size is read as a stream to its end; `isRetryableError` says whether an error
 * document tells of something that waiting can heal.
 */
export async function assertCsvBody(args: {
  path: string;
  firstBytes: Uint8Array;
  system: string;
  charset?: string | null;
  isRetryableError?: (fields: Record<string, string | true>) => boolean;
}): Promise<void> {
  if (looksLikeHtml(args.firstBytes, null)) {
    throw new ConnectorError(
      `${args.system} answered with an HTML page instead of a CSV (a login page?)`,
    );
  }
  const binary = describeBinary(args.firstBytes, args.charset);
  if (binary) {
    throw new ConnectorError(`${args.system} answered with ${binary} instead of a CSV`);
  }
  if (!textStart(args.firstBytes).startsWith("{")) return;
  const document = await readJsonFile(args.path);
  // a CSV whose first cell starts with "{" is not JSON, and passes
  if (document?.shape !== "object") return;
  const message = errorMessageOf(document.fields);
  if (message === null) {
    const what = "error" in document.fields ? "a JSON error" : "a JSON document";
    throw new ConnectorError(`${args.system} answered with ${what} instead of a CSV`, {
      isRetryable: args.isRetryableError?.(document.fields) ?? false,
    });
  }
  throw new ConnectorError(
    `${args.system} reported an error instead of the CSV: ${excerpt(message)}`,
    { isRetryable: args.isRetryableError?.(document.fields) ?? false },
  );
}
