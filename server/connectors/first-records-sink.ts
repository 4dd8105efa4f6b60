import type { DownloadSink } from "@/server/downloads";

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
/** Bytes looked at before deciding whether the body is CSV text that may be cut. */
const DECIDE_BYTES = 64;

export type TFirstRecordsSink = DownloadSink & {
  /** the length of the complete records kept; the file is cut there after a short read */
  keptBytes(): number;
};

/**
 * Wraps a sink so a download stops once it holds `records` complete CSV records (the header
 * counts as one), or `maxBytes` of them: a preview needs the first rows, not the file. Records
 * are counted as the normaliser counts them (a line break inside quotes is data, a blank line is
 * no record). A body that is not CSV text (a JSON document such as Metabase's error answer, an
 * HTML page, a ZIP or other binary data) is kept whole, bounded only by the download's size
 * limit, so the checks after it see it as a real run would.
 */
export function keepFirstRecords(
  sink: DownloadSink,
  limits: { records: number; maxBytes: number },
): TFirstRecordsSink {
  let mode: "undecided" | "csv" | "whole" = "undecided";
  let head = Buffer.alloc(0);
  let isUtf16Le = false;
  let received = 0;
  let records = 0;
  let kept = 0;
  let isInQuotes = false;
  let lineHasContent = false;

  const scan = (data: Uint8Array, offset: number) => {
    for (let i = 0; i < data.length && records < limits.records; i++) {
      const byte = data[i]!;
      if (isInQuotes) {
        if (byte === QUOTE) isInQuotes = false;
        continue;
      }
      if (byte === CR || byte === LF) {
        if (lineHasContent) records += 1;
        lineHasContent = false;
        // UTF-16LE writes a line break as 0A 00: the record ends after the second byte
        kept = offset + i + (isUtf16Le ? 2 : 1);
        continue;
      }
      if (byte === 0 && isUtf16Le) continue;
      if (byte === QUOTE) isInQuotes = true;
      lineHasContent = true;
    }
  };

  const decide = () => {
    const start = head;
    isUtf16Le = start[0] === 0xff && start[1] === 0xfe;
    const isUtf16 = isUtf16Le || (start[0] === 0xfe && start[1] === 0xff);
    const text = start.filter((byte) => byte !== 0 || isUtf16);
    const first = [...text].find(
      (byte) => byte > 0x20 && byte !== 0xef && byte !== 0xbb && byte !== 0xbf && byte < 0xfe,
    );
    const isZip = start[0] === 0x50 && start[1] === 0x4b && start[2] === 3 && start[3] === 4;
    const isBinary = !isUtf16 && start.includes(0);
    const isDocument = first === 0x7b || first === 0x5b || first === 0x3c; // { [ <
    mode = isZip || isBinary || isDocument || first === 0x1f ? "whole" : "csv";
    if (mode === "csv") scan(start, 0);
  };

  return {
    write(chunk) {
      const offset = received;
      received += chunk.byteLength;
      if (mode === "undecided") {
        head = Buffer.concat([head, chunk]);
        if (head.length >= DECIDE_BYTES) decide();
      } else if (mode === "csv") scan(chunk, offset);
      return sink.write(chunk);
    },
    close: () => sink.close(),
    abort: () => sink.abort(),
    hasEnough() {
      if (mode !== "csv") return false;
      return records >= limits.records || received >= limits.maxBytes;
    },
    keptBytes: () => Math.min(kept, received),
  };
}
