/**
 * An uploaded file's bytes as text, the same way in the browser's worker and on the server: a ZIP
 * is opened and the spreadsheet inside is read exactly as the file itself would be
 * (`decodeInputBytes`); anything else is read directly. Every way a ZIP can fail is refused in one
 * sentence, before anything is stored.
 */
import JSZip from "jszip";
import { updateCrc32 } from "./crc32";
import { decodeInputBytes, type TInputEncoding } from "./decode-input-bytes";
import { looksLikeImageList } from "./detect-format";
import { MAX_UNPACKED_BYTES, MAX_ZIP_ENTRIES } from "./upload-limits";
import {
  looksLikeZip,
  readZipDirectory,
  ZipDirectoryError,
  type TZipDirectoryEntry,
} from "./zip-directory";

/** The spreadsheets a ZIP holds and the one that was read. */
export type TArchiveChoice = { entries: { name: string; bytes: number }[]; chosen: string };

export type TReadUpload =
  | {
      text: string;
      encoding: TInputEncoding;
      /** what the user should know about how it was read (which entry, which encoding) */
      note: string | null;
      archive: TArchiveChoice | null;
      refusal: null;
    }
  | { text: null; encoding: null; note: null; archive: null; refusal: string };

export type TReadUploadOptions = {
  /** the entry of a ZIP to read; without it the list among the spreadsheets is picked */
  entry?: string;
  maxEntries?: number;
  maxUnpackedBytes?: number;
};

// What a spreadsheet export or a zipped folder holds that we can read (or explain, for workbooks).
const SPREADSHEET = /\.(csv|tsv|tab|txt|xlsx|xlsm|xls|ods)$/i;
const READABLE_FIRST = /\.(csv|tsv|tab|txt)$/i;
const SUPPORTED_METHODS = new Set([0, 8]);
const MAKE_AGAIN = "Zip the spreadsheet again, or upload the CSV file itself.";

export async function readUploadBytes(
  bytes: Uint8Array,
  options: TReadUploadOptions = {},
): Promise<TReadUpload> {
  if (!looksLikeZip(bytes)) {
    if (options.entry !== undefined)
      return refused(`“${options.entry}” names a file inside a ZIP, but this upload is not a ZIP.`);
    return withoutArchive(bytes);
  }
  try {
    return await readZipUpload(bytes, {
      entry: options.entry,
      maxEntries: options.maxEntries ?? MAX_ZIP_ENTRIES,
      maxUnpackedBytes: options.maxUnpackedBytes ?? MAX_UNPACKED_BYTES,
    });
  } catch (error) {
    if (error instanceof UploadRefusal) return refused(error.message);
    if (error instanceof ZipDirectoryError) {
      // a workbook cut short or sent as a fragment still gets the direct upload's sentence
      if (error.kind === "damaged" && looksLikeOfficeDocument(bytes)) return withoutArchive(bytes);
      if (error.kind === "too_many_entries")
        return refused(
          `The ZIP holds ${error.entries!.toLocaleString("en-US")} files, more than the ${(options.maxEntries ?? MAX_ZIP_ENTRIES).toLocaleString("en-US")} a ZIP may hold here. Zip only the spreadsheet, or upload the CSV file itself.`,
        );
      return refused(`The ZIP file is damaged and cannot be read: ${error.message}. ${MAKE_AGAIN}`);
    }
    // JSZip's own complaints, and a DataView read past the end of a lying directory
    return refused(`The ZIP file is damaged and cannot be read. ${MAKE_AGAIN}`);
  }
}

async function readZipUpload(
  bytes: Uint8Array,
  options: { entry: string | undefined; maxEntries: number; maxUnpackedBytes: number },
): Promise<TReadUpload> {
  const directory = readZipDirectory(bytes, { maxEntries: options.maxEntries });
  // a workbook (.xlsx, .ods) or a Word file is a ZIP too: it gets the direct upload's sentence
  if (directory.some((entry) => entry.name === "[Content_Types].xml" || entry.name === "mimetype"))
    return withoutArchive(bytes);

  // any entry, not only the spreadsheets: JSZip refuses a whole archive for one of these
  const encrypted = directory.find((entry) => entry.isEncrypted);
  if (encrypted)
    throw new UploadRefusal(
      `The ZIP is password-protected (“${encrypted.name}” is encrypted), so it cannot be read. Make the ZIP without a password, or upload the CSV file itself.`,
    );
  const unsupported = directory.find(
    (entry) => !entry.isDirectory && !SUPPORTED_METHODS.has(entry.method),
  );
  if (unsupported)
    throw new UploadRefusal(
      `“${unsupported.name}” in the ZIP is compressed in a way that cannot be read here (method ${unsupported.method}). Make the ZIP with your computer's own “Compress” or “Send to › Compressed folder”, or upload the CSV file itself.`,
    );

  const spreadsheets = uniqueByName(directory.filter(isSpreadsheet)).sort((a, b) =>
    a.name.localeCompare(b.name, "en", { numeric: true }),
  );
  if (spreadsheets.length === 0)
    throw new UploadRefusal(
      "The ZIP holds no spreadsheet (a .csv, .tsv or .txt file). Put the CSV file in the ZIP, or upload it directly.",
    );
  let wanted = spreadsheets;
  if (options.entry !== undefined) {
    const named = spreadsheets.find((entry) => entry.name === options.entry);
    if (!named)
      throw new UploadRefusal(
        `The ZIP holds no spreadsheet named “${options.entry}”; it holds ${listNames(spreadsheets)}.`,
      );
    wanted = [named];
  }

  // what the directory declares, before a byte is inflated
  const declared = wanted.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (declared > options.maxUnpackedBytes) throw tooBig(options.maxUnpackedBytes);

  const zip = await JSZip.loadAsync(bytes);
  const byName = new Map(
    Object.values(zip.files).map((file) => [file.unsafeOriginalName ?? file.name, file]),
  );
  const budget = { left: options.maxUnpackedBytes };
  const read: { entry: TZipDirectoryEntry; decoded: ReturnType<typeof decodeInputBytes> }[] = [];
  for (const entry of wanted) {
    const file = byName.get(entry.name);
    if (!file) throw new UploadRefusal(`The ZIP file is damaged and cannot be read. ${MAKE_AGAIN}`);
    const unpacked = await unpackEntry(file, entry, budget, options.maxUnpackedBytes);
    read.push({ entry, decoded: decodeInputBytes(unpacked) });
  }

  const chosen =
    read.find((candidate) => candidate.decoded.text !== null && isListLike(candidate)) ??
    read.find((candidate) => candidate.decoded.text !== null) ??
    read[0]!;
  const { decoded, entry } = chosen;
  if (decoded.refusal !== null)
    throw new UploadRefusal(`“${entry.name}” in the ZIP cannot be read. ${decoded.refusal}`);
  const others = spreadsheets.filter((other) => other !== entry);
  const where =
    others.length === 0
      ? `Read “${entry.name}” from the ZIP.`
      : `Read “${entry.name}” of the ${spreadsheets.length} spreadsheets in the ZIP (the others: ${listNames(others)}).`;
  return {
    text: decoded.text,
    encoding: decoded.encoding,
    note: decoded.note ? `${where} ${decoded.note}` : where,
    archive: {
      entries: spreadsheets.map((sheet) => ({ name: sheet.name, bytes: sheet.uncompressedSize })),
      chosen: entry.name,
    },
    refusal: null,
  };
}

type TStreamHelper = {
  on(event: "data", listener: (chunk: Uint8Array) => void): TStreamHelper;
  on(event: "error", listener: (error: Error) => void): TStreamHelper;
  on(event: "end", listener: () => void): TStreamHelper;
  pause(): TStreamHelper;
  resume(): TStreamHelper;
};

/**
 * One entry's bytes, inflated a chunk at a time: stopped as soon as the real bytes pass what is
 * left of the budget or what the entry declared (a directory can lie), and checked against the
 * declared length and CRC-32 at the end, so a damaged entry is never read as a shorter list.
 */
function unpackEntry(
  file: JSZip.JSZipObject,
  entry: TZipDirectoryEntry,
  budget: { left: number },
  maxUnpackedBytes: number,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    let crc = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      stream.pause();
      reject(error);
    };
    // JSZip's documented streaming reader (ZipObject#internalStream), left out of its typings
    const stream = (
      file as unknown as { internalStream(type: "uint8array"): TStreamHelper }
    ).internalStream("uint8array");
    stream
      .on("data", (chunk) => {
        if (settled) return;
        length += chunk.length;
        budget.left -= chunk.length;
        if (budget.left < 0) return fail(tooBig(maxUnpackedBytes));
        if (length > entry.uncompressedSize)
          return fail(
            new UploadRefusal(
              `The ZIP file is damaged: “${entry.name}” unpacks to more than it declares. ${MAKE_AGAIN}`,
            ),
          );
        crc = updateCrc32(crc, chunk);
        chunks.push(chunk);
      })
      .on("error", () =>
        fail(
          new UploadRefusal(
            `The ZIP file is damaged: “${entry.name}” cannot be unpacked. ${MAKE_AGAIN}`,
          ),
        ),
      )
      .on("end", () => {
        if (settled) return;
        if (length !== entry.uncompressedSize || crc !== entry.crc32)
          return fail(
            new UploadRefusal(
              `The ZIP file is damaged: “${entry.name}” does not match its checksum. ${MAKE_AGAIN}`,
            ),
          );
        settled = true;
        const joined = new Uint8Array(length);
        let at = 0;
        for (const chunk of chunks) {
          joined.set(chunk, at);
          at += chunk.length;
        }
        resolve(joined);
      })
      .resume();
  });
}

class UploadRefusal extends Error {}

function tooBig(maxUnpackedBytes: number): UploadRefusal {
  return new UploadRefusal(
    `The spreadsheets in the ZIP unpack to more than ${Math.round(maxUnpackedBytes / 1024 / 1024)} MB, more than an upload may hold. Split the list into smaller files.`,
  );
}

function isSpreadsheet(entry: TZipDirectoryEntry): boolean {
  if (entry.isDirectory || !SPREADSHEET.test(entry.name)) return false;
  // macOS adds __MACOSX/ (resource forks named like the files) and .DS_Store; hidden files are
  // never the list someone meant to send
  return !entry.name.split("/").some((part) => part === "__MACOSX" || part.startsWith("."));
}

function isListLike(candidate: {
  entry: TZipDirectoryEntry;
  decoded: ReturnType<typeof decodeInputBytes>;
}): boolean {
  return READABLE_FIRST.test(candidate.entry.name) && looksLikeImageList(candidate.decoded.text!);
}

function uniqueByName(entries: TZipDirectoryEntry[]): TZipDirectoryEntry[] {
  const seen = new Map<string, TZipDirectoryEntry>();
  for (const entry of entries) seen.set(entry.name, entry);
  return [...seen.values()];
}

function listNames(entries: TZipDirectoryEntry[]): string {
  const shown = entries.slice(0, 5).map((entry) => `“${entry.name}”`);
  const rest = entries.length - shown.length;
  return rest > 0 ? `${shown.join(", ")} and ${rest} more` : shown.join(", ");
}

function looksLikeOfficeDocument(bytes: Uint8Array): boolean {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 65_536));
  return head.includes("[Content_Types].xml") || head.includes("opendocument");
}

function withoutArchive(bytes: Uint8Array): TReadUpload {
  const decoded = decodeInputBytes(bytes);
  if (decoded.refusal !== null) return refused(decoded.refusal);
  return { ...decoded, archive: null };
}

function refused(refusal: string): TReadUpload {
  return { text: null, encoding: null, note: null, archive: null, refusal };
}
